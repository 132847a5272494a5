/* The form editor of /processen/<key>/formulieren/<name> (app/modelling/views.py): form-js's
 * editor (vendor/bpmn-io/form-js/form-editor.umd.js), the form checked against the catalogue by
 * the deploy's own checks after every change, and published with the diagram of the newest
 * version. The form travels as text written like the files in forms/ (two spaces, a newline at
 * the end), so saving without edits publishes the same content. No inline script: the page's
 * data is in <script type="application/json" id="formulier-gegevens">. */
(function () {
  "use strict";

  function text(schema) {
    return JSON.stringify(schema, null, 2) + "\n";
  }

  // The same content whatever the order of keys, and whatever schema version the editor
  // writes (it writes its own, e.g. 19 for a form of 16): what decides "changed".
  function content(schema) {
    var copy = Object.assign({}, schema);
    delete copy.schemaVersion;
    return canonical(copy);
  }

  function canonical(value) {
    if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
    if (value && typeof value === "object") {
      return "{" + Object.keys(value).sort().map(function (key) {
        return JSON.stringify(key) + ":" + canonical(value[key]);
      }).join(",") + "}";
    }
    return JSON.stringify(value);
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function start(root) {
    var data = JSON.parse(document.getElementById(root.dataset.stroomFormEditor).textContent);
    var list = root.querySelector("[data-form-problems]");
    var count = root.querySelector("[data-form-count]");
    var form = document.querySelector("[data-form-publish]");
    var field = form.querySelector('input[name="formulier"]');
    var button = form.querySelector('button[type="submit"]');
    var original = data.schema;
    var timer = null;
    var checks = 0;
    button.disabled = true;

    function show(problems, changed) {
      list.replaceChildren();
      problems.forEach(function (problem) {
        var item = document.createElement("li");
        item.textContent = problem.melding;
        list.append(item);
      });
      root.dataset.problemen = String(problems.length);
      if (problems.length) {
        count.textContent =
          problems.length === 1
            ? "1 probleem: los het op voordat u publiceert."
            : problems.length + " problemen: los ze op voordat u publiceert.";
      } else {
        count.textContent = changed
          ? "Geen problemen: dit formulier kan gepubliceerd worden."
          : "Geen problemen en niets veranderd.";
      }
      button.disabled = problems.length > 0 || !changed;
    }

    // Unchanged content is sent as it came: saving without edits publishes the same text.
    function currentText(editor) {
      var schema = editor.saveSchema();
      return content(schema) === content(JSON.parse(original)) ? original : text(schema);
    }

    function check(editor) {
      var mine = ++checks;
      var current = currentText(editor);
      field.value = current;
      root.dataset.bezig = "1";
      return fetch(data.checkUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ formulier: current }),
        credentials: "same-origin",
      })
        .then(function (response) {
          if (!response.ok) throw new Error("status " + response.status);
          return response.json();
        })
        .then(function (answer) {
          if (mine !== checks) return;
          show(answer.problemen, current !== original);
          root.dataset.gecontroleerd = String(mine);
          delete root.dataset.bezig;
        })
        .catch(function (error) {
          count.textContent = "Controleren lukte niet (" + error.message + ").";
          delete root.dataset.bezig;
        });
    }

    window.FormEditor.createFormEditor({
      container: root.querySelector("[data-form-canvas]"),
      schema: JSON.parse(data.schema),
    }).then(function (editor) {
      window.stroomFormEditor = editor; // for the browser test and the console
      root.dataset.geladen = "1";
      editor.on("changed", function () {
        root.dataset.bezig = "1";
        clearTimeout(timer);
        timer = setTimeout(function () {
          check(editor);
        }, 600);
      });
      form.addEventListener("submit", function () {
        field.value = currentText(editor);
      });
      check(editor);
    });
  }

  document.querySelectorAll("[data-stroom-form-editor]").forEach(start);
})();
