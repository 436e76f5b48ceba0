// Small progressive enhancements; every page works without this file.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
document.addEventListener("click", function (event) {
  if (event.target.dataset && "print" in event.target.dataset) {
    window.print();
  }
});
// Browsers that cannot style a closed <details>' content: keep the menu open on wide screens.
(function () {
  var menu = document.querySelector("details.nav-menu");
  if (!menu || !window.matchMedia) return;
  var wide = window.matchMedia("(min-width: 769px)");
  if (wide.matches) menu.open = true;
})();
