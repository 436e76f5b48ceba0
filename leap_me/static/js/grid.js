// Data-entry grid: small progressive enhancements. The grid works without this file.
// - Enter moves to the next cell (Shift+Enter to the previous), as in a spreadsheet;
//   Tab works as everywhere.
// - Pasting a block copied from Excel into a cell fills the grid from that cell
//   rightwards (numerator, denominator…) and downwards (the next rows).
(function () {
  var form = document.getElementById("grid");
  if (!form) { return; }
  function cells() { return Array.prototype.slice.call(form.querySelectorAll(".sub-in")); }
  function rows() {
    return Array.prototype.slice.call(form.querySelectorAll("tbody tr")).filter(function (tr) {
      return tr.querySelector(".sub-in");
    });
  }
  form.addEventListener("keydown", function (event) {
    var el = event.target;
    if (event.key !== "Enter" || !el.classList || !el.classList.contains("sub-in")) { return; }
    if (el.tagName === "TEXTAREA" && !event.ctrlKey) { return; }
    event.preventDefault();
    var all = cells();
    var next = all[all.indexOf(el) + (event.shiftKey ? -1 : 1)];
    if (next) { next.focus(); if (next.select) { next.select(); } }
  });
  form.addEventListener("paste", function (event) {
    var start = event.target;
    if (!start.classList || !start.classList.contains("sub-in")) { return; }
    var text = (event.clipboardData || window.clipboardData).getData("text");
    if (!/[\t\n]/.test(text.replace(/\s+$/, ""))) { return; }
    event.preventDefault();
    var list = rows();
    var tr = start.closest("tr");
    var r = list.indexOf(tr);
    var c = Array.prototype.indexOf.call(tr.querySelectorAll(".sub-in"), start);
    var filled = 0;
    text.replace(/\r/g, "").replace(/\n+$/, "").split("\n").forEach(function (line, i) {
      var row = list[r + i];
      if (!row) { return; }
      var inputs = row.querySelectorAll(".sub-in");
      line.split("\t").forEach(function (value, j) {
        var input = inputs[c + j];
        if (!input) { return; }
        value = value.trim();
        if (input.tagName === "SELECT") {
          var v = value.toLowerCase();
          input.value = /^(1|yes|y|true|មាន|បាទ|ចាស)$/.test(v) ? "1" : (/^(0|no|n|false|គ្មាន|ទេ)$/.test(v) ? "0" : "");
        } else {
          input.value = value;
        }
        input.classList.add("sub-pasted");
        filled += 1;
      });
    });
    var note = document.getElementById("paste-note");
    if (note) { note.textContent = note.dataset.template.replace("{n}", filled); }
  });
})();
