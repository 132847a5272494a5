/*
 * Long work posted by a form (a file of thousands of rows, a bulk action on many cases):
 * while the server works, the page says so in a status region with an indeterminate progress
 * bar, and the button cannot be pressed a second time. Forms opt in with
 * data-stroom-busy="<what is happening, in Dutch>".
 */
(function () {
  "use strict";

  function prepare(form) {
    if (form.querySelector(".stroom-busy")) {
      return;
    }
    // The live region exists before it is filled, so screen readers announce the text.
    var region = document.createElement("div");
    region.className = "stroom-busy";
    region.setAttribute("role", "status");
    form.appendChild(region);
  }

  function start(form) {
    var region = form.querySelector(".stroom-busy");
    var text = document.createElement("p");
    text.className = "utrecht-paragraph";
    text.textContent = form.dataset.stroomBusy;
    var bar = document.createElement("progress");
    bar.className = "stroom-busy__bar";
    bar.setAttribute("aria-label", form.dataset.stroomBusy);
    region.replaceChildren(text, bar);
    form.setAttribute("aria-busy", "true");
    // The errors of the previous attempt no longer describe what is being sent now.
    Array.prototype.forEach.call(form.querySelectorAll("[data-stroom-error-summary]"), function (box) {
      box.style.display = "none"; // the alert class sets display, so `hidden` alone would not do
    });
    // After the submission has taken the form's data: a disabled button sends nothing.
    window.setTimeout(function () {
      Array.prototype.forEach.call(form.querySelectorAll("button"), function (button) {
        if (button.type === "submit") {
          button.disabled = true;
        }
      });
    }, 0);
  }

  function ready() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-stroom-busy]"), prepare);
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.matches && form.matches("form[data-stroom-busy]") && !event.defaultPrevented) {
        start(form);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
