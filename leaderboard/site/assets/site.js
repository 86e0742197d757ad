/* crbench leaderboard site: sortable and filterable tables.
   Written for crbench (BSD-3-Clause); no framework, no network: the pages open from file://.

   Sorting: click a column header (again to reverse). Cells sort by number when every
   filled cell of the column starts with one ("95.8 [91.4, 99.1]" sorts by 95.8, "3 g1 †" by 3);
   "not reached (FPR >= x)" sorts below every number; "n/a" and empty cells sort last in
   both directions. A cell's data-sort attribute, when present, overrides its text.
   Filtering: the <select data-filter="family|training"> controls of a page hide the rows
   of every table whose data-family / data-training attribute differs. */
(function () {
  "use strict";

  var NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/;
  var DATE = /^\d{4}-\d{2}-\d{2}/;

  function sortKey(cell) {
    var given = cell.getAttribute("data-sort");
    var text = given !== null ? given : cell.textContent.trim();
    if (text === "" || text === "n/a") { return { kind: "missing" }; }
    if (/^not reached/.test(text)) { return { kind: "number", value: -Infinity }; }
    if (DATE.test(text)) { return { kind: "text", text: text }; }  // ISO dates sort as text, not as their year
    var match = NUMBER.exec(text);
    if (match) { return { kind: "number", value: parseFloat(match[0]), text: text }; }
    return { kind: "text", text: text };
  }

  function compare(a, b, numeric, direction) {
    if (a.kind === "missing" || b.kind === "missing") {
      // missing values last whatever the direction
      return (a.kind === "missing") - (b.kind === "missing");
    }
    var order;
    if (numeric) {
      order = a.value === b.value ? 0 : (a.value < b.value ? -1 : 1);
    } else {
      order = String(a.text).localeCompare(String(b.text), undefined, { numeric: true });
    }
    return direction * order;
  }

  function sortTable(table, column) {
    var body = table.tBodies[0];
    if (!body) { return; }
    var header = table.tHead.rows[0].cells[column];
    var direction = header.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    var rows = Array.prototype.slice.call(body.rows);
    var keyed = rows.map(function (row, index) {
      var cell = row.cells[column];
      return { row: row, index: index, key: cell ? sortKey(cell) : { kind: "missing" } };
    });
    var numeric = keyed.every(function (item) { return item.key.kind !== "text"; });
    if (numeric) {
      keyed.forEach(function (item) {
        if (item.key.kind === "text") { item.key = { kind: "missing" }; }
      });
    } else {
      keyed.forEach(function (item) {
        if (item.key.kind === "number") { item.key = { kind: "text", text: item.key.text }; }
      });
    }
    keyed.sort(function (a, b) {
      return compare(a.key, b.key, numeric, direction) || a.index - b.index;
    });
    keyed.forEach(function (item) { body.appendChild(item.row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) { cell.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", direction === 1 ? "ascending" : "descending");
  }

  function applyFilters() {
    var wanted = {};
    Array.prototype.forEach.call(document.querySelectorAll("select[data-filter]"), function (select) {
      wanted[select.getAttribute("data-filter")] = select.value;
    });
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable tbody tr"), function (row) {
      var shown = Object.keys(wanted).every(function (name) {
        var value = row.getAttribute("data-" + name);
        return wanted[name] === "" || value === null || value.split("|").indexOf(wanted[name]) >= 0;
      });
      row.hidden = !shown;
    });
  }

  function setUp() {
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
      if (!table.tHead) { return; }
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, column) {
        header.tabIndex = 0;
        header.title = "sort by this column";
        header.addEventListener("click", function () { sortTable(table, column); });
        header.addEventListener("keydown", function (event) {
          if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortTable(table, column); }
        });
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll("select[data-filter]"), function (select) {
      select.addEventListener("change", applyFilters);
    });
    applyFilters();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
}());
