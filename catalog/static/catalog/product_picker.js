"use strict";
// Order lines' product picker: each result shows the picture, SKU, name, price and stock,
// and marks what is out of stock. Built from DOM nodes (textContent), never from HTML.
// Choosing a product that cannot fill the line warns at once, under the picker: the
// server still refuses the save (orders/admin/forms.py); this only says it sooner.
{
  const $ = django.jQuery;
  const plain = $.fn.djangoAdminSelect2;

  function node(tag, className, text) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function result(item) {
    if (!item.id || item.loading || item.sku === undefined) return item.text;
    const row = node("span", item.out_of_stock ? "product-pick product-pick--out" : "product-pick");
    if (item.thumbnail) {
      const img = node("img", "product-pick-thumb");
      img.src = item.thumbnail;
      img.alt = "";
      img.width = 32;
      img.height = 32;
      row.append(img);
    } else {
      row.append(node("span", "product-pick-thumb product-pick-nothumb"));
    }
    const text = node("span", "product-pick-text");
    text.append(node("span", "product-pick-name", `${item.sku} · ${item.name}`));
    const facts = node(
      "span",
      "product-pick-facts",
      `${item.price_display || item.price} · ${item.stock} in stock`,
    );
    text.append(facts);
    row.append(text);
    if (item.out_of_stock) row.append(node("span", "product-pick-out", "Out of stock"));
    if (!item.active) row.append(node("span", "product-pick-inactive", "Inactive"));
    return $(row);
  }

  function quantityInput(select) {
    return document.querySelector(`[name="${select.name.replace(/-product$/, "-quantity")}"]`);
  }

  // What the chosen product can give this line; nothing to say when it can give enough.
  function problem(select) {
    const picked = select.productPicked;
    if (!picked) return "";
    if (picked.out_of_stock) {
      return `${picked.sku} is out of stock: this order cannot be saved with this line.`;
    }
    const quantity = Number.parseInt(quantityInput(select)?.value || "0", 10);
    if (quantity > picked.stock) {
      return `Only ${picked.stock} of ${picked.sku} in stock: this order cannot be saved with ${quantity}.`;
    }
    return "";
  }

  function warn(select) {
    // Under the picker and its related-object buttons (a row of their own), not beside them.
    const anchor =
      select.closest(".related-widget-wrapper") ||
      (select.nextElementSibling?.classList.contains("select2") ? select.nextElementSibling : select);
    let note = anchor.nextElementSibling;
    if (!note?.classList.contains("product-pick-warning")) {
      note = node("p", "product-pick-warning");
      note.setAttribute("role", "alert");
      anchor.after(note);
    }
    note.textContent = problem(select);
    note.hidden = note.textContent === "";
  }

  // Only products chosen on this page are checked: a saved line's units are already held
  // by the order, so the stock the picker reports would understate what it may keep.
  document.addEventListener("input", (event) => {
    const match = event.target.name?.match(/^(.*)-quantity$/);
    const select = match && document.querySelector(`select[name="${match[1]}-product"]`);
    if (select?.productPicked) warn(select);
  });

  $.fn.djangoAdminSelect2 = function () {
    const pickers = this.filter("[data-product-picker]");
    plain.call(this.not(pickers));
    pickers.each((_index, element) => {
      $(element).select2({
        ajax: {
          data: (params) => ({
            term: params.term,
            page: params.page,
            app_label: element.dataset.appLabel,
            model_name: element.dataset.modelName,
            field_name: element.dataset.fieldName,
          }),
        },
        templateResult: result,
      });
      $(element).on("select2:select", (event) => {
        element.productPicked = event.params.data.sku === undefined ? null : event.params.data;
        warn(element);
      });
      $(element).on("select2:clear select2:unselect", () => {
        element.productPicked = null;
        warn(element);
      });
    });
    return this;
  };
}
