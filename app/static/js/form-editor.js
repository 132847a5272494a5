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

  // form-js's editor has no translation hook for its palette and property labels (they are
  // literal strings); its properties panel takes the groups from providers, so a provider of
  // our own gives the groups Dutch names and the panel's own texts (the `translate` of a
  // group) Dutch wording.
  var GROUPS = {
    General: "Algemeen",
    Condition: "Voorwaarde",
    Validation: "Controle",
    Appearance: "Weergave",
    Layout: "Opmaak",
    Constraints: "Beperkingen",
    "Options source": "Bron van de keuzes",
    "Static options": "Vaste keuzes",
    "Dynamic options": "Keuzes uit een variabele",
    "Options expression": "Keuzes uit een expressie",
    "Custom properties": "Eigen eigenschappen",
    Serialization: "Opslagformaat",
    "Headers source": "Bron van de kolomkoppen",
    "Header items": "Kolomkoppen",
    "Security attributes": "Beveiliging",
  };
  var PANEL = {
    "Toggle section": "Onderdeel openen of sluiten",
    "Section contains an error": "Dit onderdeel bevat een fout",
    "Section contains edits": "Dit onderdeel is gewijzigd",
    "Toggle list item": "Item openen of sluiten",
    "Open documentation": "Documentatie openen",
    "<empty>": "<leeg>",
    "Create new list item": "Nieuw item",
    "Delete item": "Item verwijderen",
  };

  function translate(template, replacements) {
    var text = PANEL[template] || template;
    return text.replace(/{([^}]+)}/g, function (_, key) {
      return replacements && key in replacements ? replacements[key] : "{" + key + "}";
    });
  }

  function DutchGroups(propertiesPanel) {
    propertiesPanel.registerProvider(this, 100); // after form-js's own providers (1000)
  }
  DutchGroups.$inject = ["propertiesPanel"];
  DutchGroups.prototype.getGroups = function () {
    return function (groups) {
      return groups.map(function (group) {
        return Object.assign({}, group, {
          label: GROUPS[group.label] || group.label,
          translate: translate,
        });
      });
    };
  };

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

    var version = root.querySelector("[data-form-version]");
    var fileVersion = JSON.parse(original).schemaVersion;
    if (version && window.FormEditor.schemaVersion !== fileVersion) {
      version.querySelector("[data-file-version]").textContent = String(fileVersion);
      version.querySelectorAll("[data-editor-version]").forEach(function (node) {
        node.textContent = String(window.FormEditor.schemaVersion);
      });
      version.hidden = false;
    }

    window.FormEditor.createFormEditor({
      container: root.querySelector("[data-form-canvas]"),
      schema: JSON.parse(data.schema),
      additionalModules: [{ __init__: ["dutchGroups"], dutchGroups: ["type", DutchGroups] }],
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
