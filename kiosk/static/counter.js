// Counter screens: PIN pad, one-tap payment, change due, cash/card switch, keyboard-wedge scanner.
// Plain JavaScript, no build step; the server stays the authority on every amount and rule.
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  function pinpad() {
    document.querySelectorAll(".pinpad").forEach(function (pad) {
      var input = pad.closest("form").querySelector("[name=" + pad.dataset.target + "]");
      pad.addEventListener("click", function (ev) {
        var b = ev.target.closest("button");
        if (!b || !input) return;
        if (b.dataset.digit !== undefined && input.value.length < 8) input.value += b.dataset.digit;
        if (b.hasAttribute("data-clear")) input.value = input.value.slice(0, -1);
        if (b.hasAttribute("data-clear-all")) input.value = "";
        input.focus();
      });
    });
  }

  // A second tap on Pay while the first is in flight does nothing; the server's sale key makes
  // a resubmission after a reload return the first sale anyway.
  function oneSubmit() {
    document.querySelectorAll("form[data-one-submit]").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        if (form.dataset.sent) { ev.preventDefault(); return; }
        form.dataset.sent = "1";
        setTimeout(function () {
          form.querySelectorAll("button").forEach(function (b) { b.disabled = true; b.classList.add("busy"); });
        }, 0);
      });
    });
  }

  // The one cash-amount grammar, the same as the server's (pos/money.py amount_pattern; both are
  // tested against tests/amount_cases.json): [symbol] digits with optional "," thousands groups and
  // an optional "." with up to `exp` digits. Only ASCII digits and this store's symbol; spaces only
  // around it. Returns minor units, or null when the server would refuse the text.
  var MAX_AMOUNT_MAJOR = 1000000;  // pos.money.MAX_AMOUNT_MAJOR
  function amountPattern(exp, symbol) {
    var integer = "(?:[0-9]{1,7}|[0-9]{1,3}(?:,[0-9]{3}){1,2})";
    var body = exp === 0 ? integer :
      "(?:" + integer + "(?:\\.[0-9]{0," + exp + "})?|\\.[0-9]{1," + exp + "})";
    var sym = (symbol || "").replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp("^" + (sym ? "(?:" + sym + ")?" : "") + body + "$");
  }
  function parseAmount(text, exp, symbol) {
    var cleaned = String(text === undefined || text === null ? "" : text).replace(/^ +| +$/g, "");
    if (!cleaned || !amountPattern(exp, symbol).test(cleaned)) return null;
    if (symbol && cleaned.indexOf(symbol) === 0) cleaned = cleaned.slice(symbol.length);
    var parts = cleaned.replace(/,/g, "").split(".");
    var frac = (parts[1] || "").padEnd(exp, "0");
    var minor = parseInt(parts[0] || "0", 10) * Math.pow(10, exp) + (exp ? parseInt(frac, 10) : 0);
    return minor > MAX_AMOUNT_MAJOR * Math.pow(10, exp) ? null : minor;
  }

  // `grouped` adds thousands separators, as the server's format_money does ($9,983.77).
  function fromMinor(minor, exp, grouped) {
    var s = String(Math.abs(minor)).padStart(exp + 1, "0");
    var whole = exp ? s.slice(0, -exp) : s;
    if (grouped) whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (minor < 0 ? "-" : "") + (exp ? whole + "." + s.slice(-exp) : whole);
  }
  window.KioskAmount = {parse: parseAmount, format: fromMinor};  // the back office's till counts use format

  function checkout() {
    var form = document.querySelector("form.checkout");
    if (!form) return;
    var total = parseInt(form.dataset.totalMinor, 10);
    var exp = parseInt(form.dataset.exponent, 10);
    var tendered = form.querySelector("[name=tendered]");
    var change = form.querySelector("[data-change]");
    var label = form.querySelector("[data-change-label]");
    var changeText = label.textContent;
    var symbol = form.dataset.symbol || "";
    var confirmMultiple = parseInt(form.dataset.confirmMultiple || "0", 10);
    var confirmNote = form.querySelector("[data-confirm-note]");
    // Never show a negative "change due": a tired clerk could hand it out. Say what is still owed.
    function showChange() {
      var minor = parseAmount(tendered.value, exp, form.dataset.amountSymbol || "");
      var absurd = minor !== null && confirmMultiple && minor > confirmMultiple * total;
      if (confirmNote) confirmNote.hidden = !absurd;
      if (minor === null) { change.textContent = "—"; change.className = ""; label.textContent = changeText; return; }
      var short = minor < total;
      label.textContent = short ? form.dataset.stillOwed : changeText;
      change.textContent = symbol + fromMinor(Math.abs(minor - total), exp, true);
      change.className = short ? "short" : (absurd ? "absurd" : "");
    }
    function showMethod(ev) {
      var method = (form.querySelector("[name=method]:checked") || {}).value;
      form.querySelector(".pay.cash").hidden = method !== "cash";
      form.querySelector(".pay.card-pay").hidden = method !== "card";
      tendered.required = method === "cash";
      form.querySelector("[name=approval_code]").required = method === "card";
      form.querySelector("[name=last4]").required = method === "card";
      // On opening, an ID plan starts at the ID check (nothing focused); focusing never scrolls the
      // page, so the checkout opens at its top with Pay in view.
      if (ev || !form.querySelector("[name=seen]")) {
        (method === "cash" ? tendered : form.querySelector("[name=approval_code]")).focus({preventScroll: true});
      }
    }
    form.querySelectorAll("[name=method]").forEach(function (r) { r.addEventListener("change", showMethod); });
    form.querySelectorAll("[data-tender]").forEach(function (b) {
      b.addEventListener("click", function () {
        tendered.value = fromMinor(parseInt(b.dataset.tender, 10), exp);
        showChange();
      });
    });
    tendered.addEventListener("input", showChange);
    window.scrollTo(0, 0);  // a restored scroll position could hide the ID check or Pay
    showMethod();
    showChange();
  }

  // A keyboard-wedge scanner types fast and ends with Enter. When nothing editable has focus,
  // collect such a burst and put it in the screen's scan field.
  function wedgeScanner() {
    var target = document.querySelector("form[data-scan-target]");
    if (!target) return;
    var input = target.querySelector("input:not([type=hidden])");
    var buffer = "", last = 0;
    document.addEventListener("keydown", function (ev) {
      var el = document.activeElement;
      if (el && /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName)) return;
      var now = Date.now();
      if (now - last > 80) buffer = "";
      last = now;
      if (ev.key === "Enter") {
        if (buffer.length >= 6) { input.value = buffer; ev.preventDefault(); target.submit(); }
        buffer = "";
      } else if (ev.key.length === 1) {
        buffer += ev.key;
      }
    });
  }

  // A serial scanner's scans and the devices' states arrive as server-sent events (kiosk/devices).
  // ICCID and phone scans fill the line field on the line-entry screen; a receipt's QR opens the
  // sale from any screen; anything else gets a short message. EventSource reconnects by itself
  // after a stream ends; a stream refused over the server's cap (429/503) closes it, so the page
  // tries again itself a few seconds later.
  function deviceEvents() {
    var box = document.querySelector("[data-device-events]");
    if (!box || !window.EventSource) return;
    var labels = JSON.parse(box.dataset.labels || "{}");
    var message = box.querySelector(".scan-message"), hideTimer = null;
    function say(text, code) {
      message.textContent = text.replace("{code}", code || "");
      message.hidden = false;
      clearTimeout(hideTimer);
      hideTimer = setTimeout(function () { message.hidden = true; }, 5000);
    }
    var handlers = {};
    var source = new EventSource(box.dataset.deviceEvents);
    source.addEventListener("error", function retry() {
      if (source.readyState !== EventSource.CLOSED) return;
      setTimeout(function () {
        var again = new EventSource(box.dataset.deviceEvents);
        ["scan", "device", "print"].forEach(function (name) {
          again.addEventListener(name, handlers[name]);
        });
        source = again;
        again.addEventListener("error", retry);
      }, 5000 + Math.random() * 5000);
    });
    handlers.scan = function (ev) {
      var scan = JSON.parse(ev.data);
      if (scan.kind === "receipt") {
        location.href = box.dataset.lookupUrl + "?q=" + encodeURIComponent(scan.code);
      } else if (scan.kind === "iccid" || scan.kind === "phone") {
        var form = document.querySelector("form.line-entry");
        var field = form && form.querySelector("[name=line]");
        if (!field) { say(box.dataset.msgElsewhere, scan.code); return; }
        field.value = scan.code;
        form.submit();
      } else if (scan.kind === "esim") {
        say(box.dataset.msgEsim);
      } else {
        say(box.dataset.msgUnknown, scan.code.slice(0, 40));
      }
    };
    handlers.device = function (ev) {
      var states = JSON.parse(ev.data);
      ["printer", "scanner"].forEach(function (device) {
        var el = box.querySelector("[data-device=" + device + "]");
        if (!el || !states[device]) return;
        el.className = "device " + states[device].state;
        // The state in words, translated; never the driver's English reason (it names device paths).
        var label = (labels[device] || {})[states[device].state] || states[device].state;
        el.title = label;
        el.querySelector("b").textContent = label;
      });
    };
    handlers.print = function (ev) {
      var shown = document.querySelector("[data-print-sale]");
      var job = JSON.parse(ev.data);
      if (shown && (!job.sale_id || job.sale_id === shown.dataset.printSale)) location.reload();
    };
    ["scan", "device", "print"].forEach(function (name) { source.addEventListener(name, handlers[name]); });
  }

  // A checkout whose sale is already recorded (restored by Back or the bfcache, reloaded, or open in a
  // second tab) must not sell again: ask the server whether its one-time key was used and, if so,
  // show the recorded sale instead. The server redirects a POST with a used key there too.
  function restoredCheckout() {
    var form = document.querySelector("form.checkout[data-recorded]");
    if (!form) return;
    function ask() {
      fetch(form.dataset.recorded, {credentials: "same-origin", cache: "no-store"})
        .then(function (r) { return r.json(); })
        .then(function (body) { if (body.sale_url) window.location.replace(body.sale_url); })
        .catch(function () {});
    }
    window.addEventListener("pageshow", function (ev) { if (ev.persisted) ask(); });
    document.addEventListener("visibilitychange", function () { if (!document.hidden) ask(); });
    var nav = (performance.getEntriesByType && performance.getEntriesByType("navigation")[0]) || {};
    if (nav.type === "back_forward" || nav.type === "reload") ask();
  }

  // Pay for a repeat sale stays locked until the clerk ticks "Sell again anyway" (the server checks too).
  function repeatSaleLock() {
    var pay = document.querySelector("button[data-locked]");
    var box = document.querySelector("[data-unlocks-pay]");
    if (!pay || !box) return;
    function sync() { pay.disabled = !box.checked; }
    box.addEventListener("change", sync);
    sync();
  }

  // While the carrier has not confirmed a sale, look again every few seconds and show the news.
  function watchSaleStatus() {
    var el = document.querySelector("[data-watch-status]");
    if (!el) return;
    var tries = 0;
    var timer = setInterval(function () {
      if (++tries > 100) { clearInterval(timer); return; }
      fetch(el.dataset.watchStatus, {credentials: "same-origin"}).then(function (r) { return r.json(); })
        .then(function (body) {
          if (body.status !== "pending") { clearInterval(timer); window.location.reload(); }
        }).catch(function () {});
    }, 3000);
  }

  onReady(function () {
    pinpad(); oneSubmit(); checkout(); restoredCheckout(); repeatSaleLock(); wedgeScanner(); watchSaleStatus();
    deviceEvents();
  });
})();
