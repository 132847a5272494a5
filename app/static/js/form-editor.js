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

  // The palette's component names come from each field type's config (its `name`, and its
  // `label`, which a new field gets as its label): set in Dutch before the editor first draws.
  var FIELD_NAMES = {
    button: "Knop",
    checkbox: "Aanvinkvakje",
    checklist: "Aanvinklijst",
    datetime: "Datum en tijd",
    group: "Groep",
    iframe: "Ingebedde pagina",
    image: "Afbeelding",
    number: "Getal",
    radio: "Keuzerondjes",
    select: "Keuzelijst",
    separator: "Scheidingslijn",
    spacer: "Witruimte",
    dynamiclist: "Herhalende groep",
    taglist: "Labellijst",
    text: "Tekst",
    html: "HTML-tekst",
    expression: "Berekening",
    textfield: "Tekstveld",
    textarea: "Tekstvak",
    table: "Tabel",
    filepicker: "Bestand kiezen",
    documentPreview: "Document tonen",
  };

  function DutchFields(formFields) {
    Object.keys(formFields._formFields || {}).forEach(function (type) {
      var config = formFields._formFields[type].config;
      var name = FIELD_NAMES[type];
      if (!config || !name) return;
      config.name = name;
      if (config.label) config.label = name;
    });
  }
  DutchFields.$inject = ["formFields"];

  // The palette offers only what the server's check takes (`kinds`, from app/tasks/forms.py):
  // a file, a repeating group or a computed field would only be refused after it was dragged
  // in. form-js has no palette filter; its palette lists the registered types when it is first
  // drawn, so the others are unregistered before that, except a type the form already uses
  // (the editor must still draw it; the check names it as a problem).
  function acceptedFields(kinds, schema) {
    var used = {};
    var todo = [schema.components];
    while (todo.length) {
      var items = todo.pop();
      (Array.isArray(items) ? items : []).forEach(function (item) {
        if (!item || typeof item !== "object") return;
        used[item.type] = true;
        todo.push(item.components);
      });
    }
    function AcceptedFields(formFields) {
      Object.keys(formFields._formFields || {}).forEach(function (type) {
        if (type !== "default" && kinds.indexOf(type) < 0 && !used[type]) {
          delete formFields._formFields[type];
        }
      });
    }
    AcceptedFields.$inject = ["formFields"];
    return AcceptedFields;
  }

  // The rest of the palette and the properties panel are literal strings in form-js; they are
  // replaced in the page as they are drawn (the editor re-renders, so this keeps watching).
  // Only the palette and the properties panel: the form's own texts in the middle are left
  // alone (a field may well be labelled "Email").
  var TEXTS = {
    Components: "Onderdelen",
    "Search components": "Onderdelen zoeken",
    "Clear content": "Zoekterm wissen",
    "No components found.": "Geen onderdelen gevonden.",
    Input: "Invoer",
    Selection: "Keuze",
    Presentation: "Weergave",
    Containers: "Groepering",
    Action: "Actie",
    Form: "Formulier",
    "Select a form field to edit its properties.":
      "Kies een veld in het formulier om de eigenschappen te bewerken.",
    "Multiple form fields are selected. Select a single form field to edit its properties.":
      "Er zijn meerdere velden gekozen. Kies één veld om de eigenschappen te bewerken.",
    "Field label": "Label",
    "Group label": "Label van de groep",
    "Table label": "Label van de tabel",
    Label: "Label",
    Title: "Titel",
    Key: "Sleutel",
    ID: "ID",
    Path: "Pad",
    Text: "Tekst",
    Content: "Inhoud",
    "Field description": "Toelichting",
    "Default value": "Standaardwaarde",
    Required: "Verplicht",
    Disabled: "Uitgeschakeld",
    "Read only": "Alleen lezen",
    "Hide if": "Verbergen als",
    "Deactivate if": "Uitschakelen als",
    "Minimum length": "Minimale lengte",
    "Maximum length": "Maximale lengte",
    Minimum: "Minimum",
    Maximum: "Maximum",
    "Validation pattern": "Patroon",
    "Custom regular expression": "Eigen reguliere expressie",
    "Custom error message": "Eigen foutmelding",
    Custom: "Eigen",
    Email: "E-mailadres",
    Phone: "Telefoonnummer",
    Prefix: "Voorvoegsel",
    Suffix: "Achtervoegsel",
    Columns: "Kolommen",
    Column: "Kolom",
    Auto: "Automatisch",
    Height: "Hoogte",
    "Decimal digits": "Decimalen",
    Increment: "Stapgrootte",
    "Output as string": "Als tekst opslaan",
    Searchable: "Doorzoekbaar",
    Subtype: "Soort",
    Type: "Soort",
    Value: "Waarde",
    Checked: "Aangevinkt",
    "Not checked": "Niet aangevinkt",
    "Date label": "Label van de datum",
    "Time label": "Label van de tijd",
    "Time format": "Tijdnotatie",
    "Time interval": "Tijdstap",
    "Disallow past dates": "Geen datums in het verleden",
    "Compute on": "Berekenen bij",
    "Value changes": "Wijziging van een waarde",
    "Form submission": "Versturen van het formulier",
    Expression: "Expressie",
    "Alternative text": "Alternatieve tekst",
    "Image source": "Bron van de afbeelding",
    URL: "Adres (URL)",
    "Supported file formats": "Toegestane bestandsformaten",
    "Upload multiple files": "Meerdere bestanden",
    "Binds to a form variable": "De naam waaronder de waarde wordt opgeslagen",
    "Allows arbitrary precision values": "Staat getallen met willekeurige precisie toe",
    "Define an expression to calculate the value of this field":
      "Een expressie die de waarde van dit veld berekent",
    "Height of the container in pixels.": "Hoogte in pixels.",
    "Where the child variables of this component are pathed to.":
      "Waaronder de waarden van de onderdelen van deze groep worden opgeslagen.",
    "Must be unique.": "Moet uniek zijn.",
    "Must not be empty.": "Mag niet leeg zijn.",
    "Must not contain spaces.": "Mag geen spaties bevatten.",
    "Must be a variable or a dot separated path.":
      "Moet een naam zijn, of namen gescheiden door punten.",
    "Must not contain numerical path segments.": "Mag geen delen hebben die alleen een getal zijn.",
    "Must not be a prohibited path.": "Deze naam is niet toegestaan.",
    "Must not cause two binding paths to collide": "Mag niet samenvallen met een ander veld",
    "Should be a valid number.": "Moet een geldig getal zijn.",
    "Should be an integer.": "Moet een geheel getal zijn.",
    "Should be greater than zero.": "Moet groter dan nul zijn.",
    "Should be greater than or equal to zero.": "Moet nul of groter zijn.",
    "Value must be a number.": "De waarde moet een getal zijn.",
    "Remove form field": "Veld verwijderen",
    "Must not be empty": "Mag niet leeg zijn",
    "Must be number": "Moet een getal zijn",
    "Should be a valid number": "Moet een geldig getal zijn",
  };
  var CREATE = /^Create an? (.+) element$/;

  function dutchText(text) {
    var trimmed = text.trim();
    var word = TEXTS[trimmed];
    // Unchanged text is not written back: writing it would wake the observer again.
    return word && word !== trimmed ? text.replace(trimmed, word) : null;
  }

  var PARTS = ".fjs-palette-container, .fjs-properties-container";

  function dutchEditor(root) {
    root.querySelectorAll(PARTS).forEach(dutchPart);
  }

  function dutchPart(part) {
    var walker = document.createTreeWalker(part, NodeFilter.SHOW_TEXT);
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      // The header names the chosen field by its own label: the author's text.
      if (node.parentNode.closest(".bio-properties-panel-header-label")) continue;
      var replaced = dutchText(node.data);
      if (replaced !== null) node.data = replaced;
    }
    part.querySelectorAll("[title], [placeholder], [aria-label]").forEach(function (el) {
      ["title", "placeholder", "aria-label"].forEach(function (name) {
        var value = el.getAttribute(name);
        if (!value) return;
        var create = CREATE.exec(value);
        var replaced = create ? create[1] + " toevoegen" : dutchText(value);
        if (replaced !== null && replaced !== value) el.setAttribute(name, replaced);
      });
    });
  }

  function watchEditor(root) {
    dutchEditor(root);
    new MutationObserver(function () {
      dutchEditor(root);
    }).observe(root, {
      childList: true,
      subtree: true,
      characterData: true,
      attributes: true,
      attributeFilter: ["title", "placeholder", "aria-label"],
    });
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

    var version = root.querySelector("[data-form-version]");
    var fileVersion = JSON.parse(original).schemaVersion;
    if (version && window.FormEditor.schemaVersion !== fileVersion) {
      version.querySelector("[data-file-version]").textContent = String(fileVersion);
      version.querySelectorAll("[data-editor-version]").forEach(function (node) {
        node.textContent = String(window.FormEditor.schemaVersion);
      });
      version.hidden = false;
    }

    var canvas = root.querySelector("[data-form-canvas]");
    // The form in the middle is drawn by form-js's viewer: its own words as on a task page.
    if (window.Stroom && window.Stroom.watchFormJs) window.Stroom.watchFormJs(canvas);
    watchEditor(canvas);

    window.FormEditor.createFormEditor({
      container: canvas,
      schema: JSON.parse(data.schema),
      additionalModules: [
        {
          __init__: ["acceptedFields", "dutchFields", "dutchGroups"],
          acceptedFields: ["type", acceptedFields(data.kinds, JSON.parse(data.schema))],
          dutchFields: ["type", DutchFields],
          dutchGroups: ["type", DutchGroups],
        },
      ],
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
