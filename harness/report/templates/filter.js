/* The "only cases that are not OK" toggle. Without JavaScript the #problems link does
   the same through the CSS :target rule. */
(function () {
  "use strict";
  var box = document.getElementById("only-problems");
  var wrap = document.getElementById("js-filter");
  if (!box || !wrap) { return; }
  wrap.hidden = false;
  function apply() {
    document.body.classList.toggle("only-problems", box.checked);
    // The CSS :target rule would keep hiding rows; drop the anchor when unchecked.
    if (!box.checked && window.location.hash === "#problems") { window.location.hash = ""; }
  }
  function fromHash() {
    // The "only cases that are not OK" / "all cases" links change the hash: follow it.
    box.checked = window.location.hash === "#problems";
    apply();
  }
  box.addEventListener("change", apply);
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
