"use strict";
// The order page's summary card, kept current before saving; and, on the orders list,
// row actions offered only on the rows whose status allows them.
{
  const cents = (text) => {
    const value = Number.parseFloat(String(text || "").replace(/,/g, ""));
    return Number.isFinite(value) ? Math.round(value * 100) : null;
  };

  function formatter(card) {
    // The server's own format of 0 (e.g. "€0.00" or "0.00 CHF"), with other digits.
    const zero = card.dataset.moneyZero || "0.00";
    const grouped = new Intl.NumberFormat("en-US", {
      minimumFractionDigits: 2,
      maximumFractionDigits: 2,
    });
    return (amount) => {
      const text = zero.replace("0.00", grouped.format(Math.abs(amount) / 100));
      return amount < 0 ? `-${text}` : text;
    };
  }

  function lineRows(form) {
    return [...form.querySelectorAll("#items-group tbody.form-group")].filter(
      (row) => !row.classList.contains("empty-form") && row.querySelector('[name$="-quantity"]'),
    );
  }

  function refreshSummary() {
    const form = document.getElementById("order_form");
    const card = document.getElementById("order-summary");
    if (!form || !card) return;
    const money = formatter(card);
    const rows = lineRows(form);
    let subtotal = rows.length ? 0 : cents(card.dataset.subtotal) || 0;
    for (const row of rows) {
      const quantity = Number.parseInt(row.querySelector('[name$="-quantity"]').value, 10) || 0;
      const priceInput = row.querySelector('[name$="-unit_price"]');
      const picker = row.querySelector('select[name$="-product"]');
      let price = cents(priceInput && priceInput.value);
      if (price === null && picker && picker.dataset.price) price = cents(picker.dataset.price);
      const deleted = row.querySelector('[name$="-DELETE"]');
      const lineTotal = price === null ? null : price * quantity;
      const cell = row.querySelector("[data-line-total]");
      if (cell) cell.textContent = lineTotal === null ? "—" : money(lineTotal);
      if (lineTotal !== null && !(deleted && deleted.checked)) subtotal += lineTotal;
    }
    const shippingInput = form.querySelector('[name="shipping_cost"]');
    const discountInput = form.querySelector('[name="discount"]');
    const shipping = shippingInput ? cents(shippingInput.value) || 0 : cents(card.dataset.shipping) || 0;
    const discount = discountInput ? cents(discountInput.value) || 0 : cents(card.dataset.discount) || 0;
    const show = (name, amount) => {
      card.querySelector(`[data-summary="${name}"]`).textContent = money(amount);
    };
    show("subtotal", subtotal);
    show("shipping", shipping);
    show("discount", -discount);
    show("total", subtotal + shipping - discount);
  }

  function rememberPickedPrice() {
    // The picker's results carry the product's price: a line left without a unit price
    // costs that (the server does the same on save), so the card and placeholder show it.
    if (!window.django || !django.jQuery) return;
    django.jQuery(document).on("select2:select", 'select[name$="-product"]', (event) => {
      const data = event.params && event.params.data;
      const select = event.target;
      if (data && data.price !== undefined) select.dataset.price = data.price;
      const row = select.closest("tbody.form-group");
      const priceInput = row && row.querySelector('[name$="-unit_price"]');
      if (priceInput && data && data.price !== undefined) priceInput.placeholder = data.price;
      refreshSummary();
    });
  }

  function hideRowActionsByStatus() {
    // "Mark shipped" on the list applies to paid orders only (the server refuses others).
    for (const marker of document.querySelectorAll("[data-order-status][data-order-pk]")) {
      if (marker.dataset.orderStatus === "paid") continue;
      const row = marker.closest("tr");
      const holder = row && row.querySelector("td.field-actions_holder");
      if (!holder) continue;
      const template = holder.querySelector("template");
      const links = template ? [...template.content.querySelectorAll("a")] : [];
      const others = links.filter((link) => !link.getAttribute("href").endsWith("/row/mark-shipped/"));
      for (const link of links) {
        const href = link.getAttribute("href");
        if (!href.endsWith("/row/mark-shipped/")) continue;
        link.remove();
        for (const copy of document.querySelectorAll(`a[href="${CSS.escape(href)}"]`)) copy.remove();
      }
      if (!others.length) {
        for (const child of holder.querySelectorAll(":scope > div > *")) child.style.visibility = "hidden";
      }
    }
  }

  function start() {
    refreshSummary();
    hideRowActionsByStatus();
    const form = document.getElementById("order_form");
    if (form && document.getElementById("order-summary")) {
      form.addEventListener("input", refreshSummary);
      form.addEventListener("change", refreshSummary);
      document.addEventListener("formset:added", refreshSummary);
      document.addEventListener("formset:removed", refreshSummary);
      rememberPickedPrice();
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  document.addEventListener("alpine:initialized", hideRowActionsByStatus);
}
