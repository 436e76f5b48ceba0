// Indicators pages: small progressive enhancements. Every page works without this file.
(function () {
  // Print the reference sheet.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // Target grid: pasting several cells from a spreadsheet into one input fills the grid
  // from that cell rightwards and downwards, as in Excel.
  var grid = document.querySelector(".ind-grid");
  if (!grid) { return; }
  grid.addEventListener("paste", function (event) {
    var start = event.target;
    if (start.tagName !== "INPUT") { return; }
    var text = (event.clipboardData || window.clipboardData).getData("text");
    if (!/[\t\n]/.test(text)) { return; }
    event.preventDefault();
    var cell = start.closest("td");
    var row = cell.parentElement;
    var col = Array.prototype.indexOf.call(row.children, cell);
    text.replace(/\r/g, "").split("\n").forEach(function (line, i) {
      if (!line && i > 0) { return; }
      var target = row;
      for (var k = 0; k < i && target; k++) { target = target.nextElementSibling; }
      if (!target) { return; }
      line.split("\t").forEach(function (value, j) {
        var td = target.children[col + j];
        var input = td && td.querySelector("input");
        if (input) { input.value = value.trim(); }
      });
    });
  });
})();
