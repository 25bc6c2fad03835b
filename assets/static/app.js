// Argonaut portal: progressive enhancement only. Every page works without
// this file; it adds copy-to-clipboard buttons and follows Octopus-style
// links.
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

  // Octopus clients print links into Octopus's one-page app, such as the
  // octopus CLI's "View this release on Octopus Deploy: <server>/app#/
  // Spaces-1/releases/Releases-1". What follows # never reaches the server,
  // so it is mapped here: to that page when signed in, or to where the
  // sign-in form goes next.
  var octopusLink = /^#\/(?:Spaces-\d+\/)?(projects|releases|tasks)\/([A-Za-z0-9._-]+)\/?$/.exec(window.location.hash);
  if (octopusLink) {
    var page = "/app/" + octopusLink[1] + "/" + octopusLink[2];
    var next = document.querySelector('form[action="/app/login"] input[name="next"]');
    if (next) next.value = page;
    else if (/^\/app\/?$/.test(window.location.pathname)) window.location.replace(page);
  }
})();
