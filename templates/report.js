// pg-auditor report: filter and sort the findings. Progressive enhancement only: the report reads
// fully without it. Data comes from the JSON island and the rows' data-* attributes; text is only
// ever inserted with textContent, never innerHTML.
(function () {
  "use strict";
  var island = document.getElementById("report-data");
  var data = island ? JSON.parse(island.textContent) : { tables: [] };
  var form = document.getElementById("controls");
  var table = document.getElementById("findings");
  if (!form || !table) { return; }
  form.hidden = false;
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody.f"));
  var tableSelect = document.getElementById("f-table");
  data.tables.forEach(function (name) {
    var opt = document.createElement("option");
    opt.value = name;
    opt.textContent = name;
    tableSelect.appendChild(opt);
  });
  var counter = document.getElementById("f-count");
  var empty = document.getElementById("f-empty");

  function checkedSeverities() {
    var out = {};
    form.querySelectorAll("input[name=sev]").forEach(function (box) { out[box.value] = box.checked; });
    return out;
  }

  function searchable(row) {
    if (row.pgaText === undefined) { row.pgaText = row.textContent.toLowerCase(); }
    return row.pgaText;
  }

  function apply() {
    var area = document.getElementById("f-area").value;
    var tbl = tableSelect.value;
    var onlyNew = document.getElementById("f-new").checked;
    var text = document.getElementById("f-text").value.trim().toLowerCase();
    var sev = checkedSeverities();
    var shown = 0;
    rows.forEach(function (row) {
      var d = row.dataset;
      var ok = (!area || d.area === area) && sev[d.severity] && (!tbl || d.table === tbl) &&
        (!onlyNew || d.state === "new") && (!text || searchable(row).indexOf(text) !== -1);
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    counter.textContent = "Showing " + shown + " of " + rows.length + " findings";
    empty.hidden = shown !== 0;
    remember(area, tbl, onlyNew, text, sev);
  }

  // The filters live in the URL (#filter?area=...&sev=...), so a filtered view can be linked.
  var PREFIX = "#filter?";
  function remember(area, tbl, onlyNew, text, sev) {
    var q = new URLSearchParams();
    if (area) { q.set("area", area); }
    var off = Object.keys(sev).filter(function (k) { return !sev[k]; });
    if (off.length) { q.set("sev", Object.keys(sev).filter(function (k) { return sev[k]; }).join(".")); }
    if (tbl) { q.set("table", tbl); }
    if (onlyNew) { q.set("new", "1"); }
    if (text) { q.set("q", text); }
    var s = q.toString();
    if (!s && location.hash.indexOf(PREFIX) !== 0) { return; }  // an anchor (#rules) stays as it is
    try { history.replaceState(null, "", s ? PREFIX + s : location.pathname + location.search); } catch (e) { /* file: */ }
  }
  function restore() {
    if (location.hash.indexOf(PREFIX) !== 0) { return; }
    var q = new URLSearchParams(location.hash.slice(PREFIX.length));
    var area = document.getElementById("f-area");
    if (q.has("area")) { area.value = q.get("area"); }
    if (q.has("sev")) {
      var on = q.get("sev").split(".");
      form.querySelectorAll("input[name=sev]").forEach(function (box) { box.checked = on.indexOf(box.value) !== -1; });
    }
    if (q.has("table")) { tableSelect.value = q.get("table"); }
    document.getElementById("f-new").checked = q.get("new") === "1";
    if (q.has("q")) { document.getElementById("f-text").value = q.get("q"); }
  }

  var sortKey = "order";
  var sortDir = 1;
  function keyOf(row) {
    var d = row.dataset;
    if (sortKey === "severity") { return [-Number(d.rank), Number(d.order)]; }
    if (sortKey === "table") { return [d.table || "\uffff", Number(d.order)]; }
    if (sortKey === "rule") { return [d.code, Number(d.order)]; }
    if (sortKey === "area") { return [Number(d.arearank), Number(d.order)]; }
    return [Number(d.order), 0];
  }
  function compare(a, b) {
    var ka = keyOf(a), kb = keyOf(b);
    for (var i = 0; i < ka.length; i += 1) {
      if (ka[i] < kb[i]) { return -sortDir; }
      if (ka[i] > kb[i]) { return sortDir; }
    }
    return 0;
  }
  function sortBy(key) {
    sortDir = (sortKey === key) ? -sortDir : 1;
    sortKey = key;
    rows.sort(compare);
    rows.forEach(function (row) { table.appendChild(row); });
    table.querySelectorAll("th[data-sort]").forEach(function (th) {
      th.setAttribute("aria-sort", th.dataset.sort === sortKey ? (sortDir > 0 ? "ascending" : "descending") : "none");
    });
  }
  table.querySelectorAll("th[data-sort] button").forEach(function (btn) {
    btn.addEventListener("click", function () { sortBy(btn.parentNode.dataset.sort); });
  });
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  document.getElementById("f-reset").addEventListener("click", function () {
    form.reset();
    sortKey = "order";
    sortDir = -1;
    sortBy("order");
    apply();
  });

  // Area cards and rule links filter the table.
  document.querySelectorAll("[data-filter-area]").forEach(function (link) {
    link.addEventListener("click", function () {
      document.getElementById("f-area").value = link.dataset.filterArea;
      apply();
    });
  });

  // Copy buttons on fix SQL.
  document.querySelectorAll("pre.sql").forEach(function (pre) {
    var btn = document.createElement("button");
    btn.type = "button";
    btn.className = "copy";
    btn.textContent = "Copy";
    btn.addEventListener("click", function () {
      var code = pre.querySelector("code").textContent;
      var done = function () { btn.textContent = "Copied"; setTimeout(function () { btn.textContent = "Copy"; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(code).then(done, function () { btn.textContent = "Select and copy"; });
      } else {
        var range = document.createRange();
        range.selectNodeContents(pre.querySelector("code"));
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        try { document.execCommand("copy"); done(); } catch (err) { btn.textContent = "Press Ctrl+C"; }
      }
    });
    pre.parentNode.insertBefore(btn, pre);
  });

  restore();
  apply();
})();
