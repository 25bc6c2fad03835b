// Argonaut portal: package upload with a progress bar. Without this file
// the upload form posts to the portal, which streams the file to the feed;
// with it the file goes straight to the API (multipart, CSRF header) and a
// progress bar follows the upload.
(function () {
  "use strict";

  function cookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].substring(0, eq) === name) {
        return decodeURIComponent(parts[i].substring(eq + 1));
      }
    }
    return "";
  }

  function errorMessage(xhr) {
    try {
      var body = JSON.parse(xhr.responseText);
      if (body && body.ErrorMessage) return body.ErrorMessage;
    } catch (e) { /* not JSON */ }
    return "The upload failed (HTTP " + xhr.status + ").";
  }

  function enhance(form) {
    var input = form.querySelector("input[type=file]");
    var bar = form.querySelector("progress");
    var status = form.querySelector("[role=status]");
    var button = form.querySelector("button[type=submit]");
    var token = cookie("Octopus-Csrf-Token");
    if (!input || !bar || !status || !token || !window.FormData || !window.XMLHttpRequest) return;

    form.addEventListener("submit", function (ev) {
      var file = input.files && input.files[0];
      if (!file) return; // let the browser say the field is required
      ev.preventDefault();
      var data = new FormData();
      data.append("file", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("data-upload-api"));
      xhr.setRequestHeader("X-Octopus-Csrf-Token", token);
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          bar.value = Math.round((e.loaded / e.total) * 100);
          status.textContent = "Uploading " + file.name + ": " + bar.value + "%";
        }
      });
      xhr.addEventListener("load", function () {
        button.disabled = false;
        if (xhr.status >= 200 && xhr.status < 300) {
          bar.value = 100;
          var pkg = {};
          try { pkg = JSON.parse(xhr.responseText); } catch (e) { /* keep going */ }
          status.textContent = "Uploaded " + (pkg.PackageId || file.name) + " " + (pkg.Version || "") + ".";
          if (pkg.PackageId) {
            window.location.assign("/app/library/packages/" + encodeURIComponent(pkg.PackageId));
          }
        } else {
          bar.hidden = true;
          status.textContent = errorMessage(xhr);
          status.classList.add("is-error");
        }
      });
      xhr.addEventListener("error", function () {
        button.disabled = false;
        bar.hidden = true;
        status.textContent = "The upload was interrupted; check the connection and try again.";
        status.classList.add("is-error");
      });
      bar.hidden = false;
      bar.value = 0;
      button.disabled = true;
      status.classList.remove("is-error");
      status.textContent = "Uploading " + file.name + "…";
      xhr.send(data);
    });
  }

  var forms = document.querySelectorAll("form[data-upload-api]");
  for (var i = 0; i < forms.length; i++) enhance(forms[i]);
})();
