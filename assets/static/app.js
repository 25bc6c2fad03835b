// Argonaut portal: progressive enhancement only. Every page works without
// this file; it adds copy-to-clipboard buttons.
(function () {
  "use strict";

  function copyFrom(button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    if (!target) return;
    var text = target.value !== undefined ? target.value : target.textContent;
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      button.classList.add("is-done");
      window.setTimeout(function () {
        button.textContent = label;
        button.classList.remove("is-done");
      }, 1600);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {
        target.select && target.select();
      });
    } else if (target.select) {
      target.select();
      try { document.execCommand("copy"); done(); } catch (e) { /* leave it selected */ }
    }
  }

  document.addEventListener("click", function (ev) {
    var el = ev.target.closest ? ev.target.closest("[data-copy-target]") : null;
    if (el) {
      ev.preventDefault();
      copyFrom(el);
    }
  });

  // Select the whole API key when the field gets focus, so it is easy to copy by hand.
  document.addEventListener("focusin", function (ev) {
    if (ev.target.matches && ev.target.matches("input[readonly].copy-box__input")) ev.target.select();
  });
})();
