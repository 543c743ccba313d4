"use strict";
// Order lines' product picker: each result shows the picture, SKU, name, price and stock,
// and marks what is out of stock. Built from DOM nodes (textContent), never from HTML.
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
    const row = node("span", "product-pick");
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
    const facts = node("span", "product-pick-facts", `${item.price} · ${item.stock} in stock`);
    text.append(facts);
    row.append(text);
    if (item.out_of_stock) row.append(node("span", "product-pick-out", "Out of stock"));
    if (!item.active) row.append(node("span", "product-pick-inactive", "Inactive"));
    return $(row);
  }

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
    });
    return this;
  };
}
