// Till counts in the back office: each bill and coin's amount and the running total as the manager types.
// The server reads the count again (pos.services.till.parse_count); this only helps while counting.
(function () {
  "use strict";
  var MAX_QUANTITY = 100000;  // pos.services.till.MAX_QUANTITY

  function countForm(form) {
    var exp = parseInt(form.dataset.exponent, 10);
    var symbol = form.dataset.symbol || "";
    var total = form.querySelector("[data-count-total]");
    var money = function (minor) { return symbol + window.KioskAmount.format(minor, exp, true); };
    function update() {
      var sum = 0, readable = true;
      form.querySelectorAll("input[data-value]").forEach(function (input) {
        var text = input.value.trim();
        var ok = text === "" || (/^[0-9]{1,6}$/.test(text) && parseInt(text, 10) <= MAX_QUANTITY);
        var line = input.parentNode.querySelector("[data-line]");
        input.closest(".field").classList.toggle("invalid", !ok);
        if (!ok) { readable = false; line.textContent = "?"; return; }
        var amount = (parseInt(text || "0", 10)) * parseInt(input.dataset.value, 10);
        sum += amount;
        line.textContent = text ? money(amount) : "";
      });
      total.textContent = readable ? money(sum) : "—";
    }
    form.addEventListener("input", update);
    update();
  }

  function onReady(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }
  onReady(function () { document.querySelectorAll("form[data-count]").forEach(countForm); });
})();
