/* hindsight default theme: small progressive enhancements, no dependencies,
   works from file:// as well as over http.
   (a) click-to-sort for every table.sortable (data-sort on cells when present);
   (b) filter selects for a table, from data-f-* attributes on its rows;
   (c) opens collapsed <details> before printing. */
(function () {
  "use strict";

  var RFC3339 = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
  var NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

  function cellKey(cell) {
    if (!cell) return "";
    var v = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
    return v.replace(/\s+/g, " ").trim();
  }

  // A comparable value: number for numbers and dates, lowercased text otherwise,
  // null when empty (empty values always sort last).
  function sortValue(raw) {
    if (raw === "" || raw === "—") return null;
    if (NUMBER.test(raw)) return { n: parseFloat(raw) };
    if (RFC3339.test(raw)) {
      var t = Date.parse(raw.length === 10 ? raw + "T00:00:00Z" : raw.replace(" ", "T"));
      if (!isNaN(t)) return { n: t };
    }
    return { s: raw.toLowerCase() };
  }

  var collator = typeof Intl !== "undefined" && Intl.Collator
    ? new Intl.Collator(undefined, { numeric: true, sensitivity: "base" })
    : null;

  function compareValues(a, b) {
    if (a.n !== undefined && b.n !== undefined) return a.n - b.n;
    var as = a.s !== undefined ? a.s : String(a.n);
    var bs = b.s !== undefined ? b.s : String(b.n);
    return collator ? collator.compare(as, bs) : (as < bs ? -1 : as > bs ? 1 : 0);
  }

  function columnIndex(th) {
    // Position of the header cell, counting colspans.
    var idx = 0;
    var cells = th.parentNode.children;
    for (var i = 0; i < cells.length; i++) {
      if (cells[i] === th) return idx;
      idx += cells[i].colSpan || 1;
    }
    return idx;
  }

  function cellAt(row, col) {
    var idx = 0;
    for (var i = 0; i < row.children.length; i++) {
      var c = row.children[i];
      if (idx === col) return c;
      idx += c.colSpan || 1;
      if (idx > col) return null;
    }
    return null;
  }

  function sortTable(table, th, direction) {
    var tbody = table.tBodies[0];
    if (!tbody) return;
    var col = columnIndex(th);
    var rows = Array.prototype.slice.call(tbody.rows);
    var keyed = rows.map(function (row, i) {
      return { row: row, i: i, v: sortValue(cellKey(cellAt(row, col))) };
    });
    var dir = direction === "ascending" ? 1 : -1;
    keyed.sort(function (a, b) {
      if (a.v === null && b.v === null) return a.i - b.i;
      if (a.v === null) return 1;
      if (b.v === null) return -1;
      var c = compareValues(a.v, b.v) * dir;
      return c !== 0 ? c : a.i - b.i;
    });
    var frag = document.createDocumentFragment();
    keyed.forEach(function (k) { frag.appendChild(k.row); });
    tbody.appendChild(frag);

    var headers = th.parentNode.querySelectorAll("th");
    for (var i = 0; i < headers.length; i++) {
      if (headers[i] !== th) headers[i].removeAttribute("aria-sort");
    }
    th.setAttribute("aria-sort", direction);
  }

  function makeSortable(table) {
    if (!table.tHead || table.tHead.rows.length === 0) return;
    var ths = table.tHead.rows[table.tHead.rows.length - 1].cells;
    Array.prototype.forEach.call(ths, function (th) {
      if (th.hasAttribute("data-nosort") || th.querySelector("button")) return;
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "sort-btn";
      while (th.firstChild) btn.appendChild(th.firstChild);
      var ind = document.createElement("span");
      ind.className = "sort-ind";
      ind.setAttribute("aria-hidden", "true");
      btn.appendChild(ind);
      th.appendChild(btn);
      btn.addEventListener("click", function () {
        var current = th.getAttribute("aria-sort");
        var next = current === "ascending" ? "descending" : "ascending";
        sortTable(table, th, next);
      });
    });
  }

  /* ---------- Filters ---------- */

  function tokens(value) {
    return (value || "").split(/\s+/).filter(Boolean);
  }

  function setupFilters(form) {
    var table = document.getElementById(form.getAttribute("data-filter-table"));
    if (!table || !table.tBodies[0]) return;
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var selects = Array.prototype.slice.call(form.querySelectorAll("select[data-filter]"));
    var count = form.querySelector(".filter-count");
    var empty = table.closest ? (table.closest(".table-scroll") || table).nextElementSibling : null;
    if (empty && !empty.classList.contains("empty-filter")) empty = null;

    selects.forEach(function (select) {
      var name = select.getAttribute("data-filter");
      var present = {};
      rows.forEach(function (row) {
        tokens(row.getAttribute("data-f-" + name)).forEach(function (t) { present[t] = true; });
      });
      // Drop predefined options that no row has.
      Array.prototype.slice.call(select.options).forEach(function (opt) {
        if (opt.value !== "" && !present[opt.value]) select.removeChild(opt);
      });
      // Fill in the values that have no predefined option.
      var existing = {};
      Array.prototype.forEach.call(select.options, function (opt) { existing[opt.value] = true; });
      var values = Object.keys(present).filter(function (v) { return !existing[v]; });
      values.sort(function (a, b) { return collator ? collator.compare(a, b) : (a < b ? -1 : 1); });
      if (select.getAttribute("data-order") === "desc") values.reverse();
      values.forEach(function (v) {
        var opt = document.createElement("option");
        opt.value = v;
        opt.textContent = v;
        select.appendChild(opt);
      });
      var label = select.closest ? select.closest("label") : null;
      if (select.options.length <= 2 && label) label.hidden = true;
    });

    function apply() {
      var shown = 0;
      rows.forEach(function (row) {
        var ok = selects.every(function (select) {
          var want = select.value;
          if (!want) return true;
          return tokens(row.getAttribute("data-f-" + select.getAttribute("data-filter"))).indexOf(want) !== -1;
        });
        row.hidden = !ok;
        if (ok) shown++;
      });
      var active = selects.some(function (s) { return s.value; });
      if (count) count.textContent = active ? shown + " of " + rows.length + " shown" : "";
      if (empty) empty.hidden = shown !== 0;
    }

    form.addEventListener("change", apply);
    form.addEventListener("reset", function () { setTimeout(apply, 0); });
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    form.hidden = false;
    apply();
  }

  /* ---------- Print ---------- */

  var reopened = [];
  window.addEventListener("beforeprint", function () {
    reopened = Array.prototype.filter.call(document.querySelectorAll("details:not([open])"), function (d) {
      d.open = true;
      return true;
    });
  });
  window.addEventListener("afterprint", function () {
    reopened.forEach(function (d) { d.open = false; });
    reopened = [];
  });

  /* ---------- Table of contents: mark the section being read ---------- */

  function setupToc(toc) {
    var links = [];
    Array.prototype.forEach.call(toc.querySelectorAll("a[href^='#']"), function (a) {
      var el = document.getElementById(decodeURIComponent(a.getAttribute("href").slice(1)));
      if (el) links.push({ a: a, el: el });
    });
    if (!links.length) return;
    var pending = false;
    function update() {
      pending = false;
      // The last heading above the upper third of the window is the one being read.
      var line = window.innerHeight / 3;
      var current = null;
      links.forEach(function (l) {
        if (l.el.getBoundingClientRect().top <= line) current = l;
      });
      links.forEach(function (l) {
        if (l === current) l.a.setAttribute("aria-current", "true");
        else l.a.removeAttribute("aria-current");
      });
    }
    window.addEventListener("scroll", function () {
      if (!pending) { pending = true; window.requestAnimationFrame(update); }
    }, { passive: true });
    update();
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), makeSortable);
    Array.prototype.forEach.call(document.querySelectorAll("form.filters[data-filter-table]"), setupFilters);
    Array.prototype.forEach.call(document.querySelectorAll("nav.toc"), setupToc);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
