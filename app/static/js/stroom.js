/*
 * Stroom page behaviour. Small on purpose, no framework, no build step.
 * Loaded on every page by base.html, after htmx. The Content-Security-Policy allows scripts
 * only from our own origin: no inline script, no eval. Pages pass data through data-*
 * attributes and <script type="application/json"> blocks.
 *
 * What it does:
 *  - skip link: moves focus to <main> (also in browsers that only scroll);
 *  - error summary: focused on page load, so screen readers read it first;
 *  - htmx: sends the CSRF token (meta csrf-token) with every htmx request, and reports failed
 *    requests in Dutch in the page's live region (#meldingen);
 *  - form-js: renders task forms (see Stroom.renderForm below), with its own few English
 *    words ("Select", "Search") in Dutch;
 *  - tables: every cell gets its column's name in data-label, which the narrow layout of
 *    stroom.css shows in front of the value (each row a card).
 *
 * Task forms with form-js (the viewer is a separate script; add it and its CSS in the page):
 *
 *   {% block styles %}
 *   <link rel="stylesheet" href="{{ asset('vendor/bpmn-io/form-js/assets/form-js.css') }}">
 *   <link rel="stylesheet" href="{{ asset('vendor/bpmn-io/form-js/assets/flatpickr/light.css') }}">
 *   {% endblock %}
 *   {% block scripts %}
 *   <script src="{{ asset('vendor/bpmn-io/form-js/form-viewer.umd.js') }}"></script>
 *   {% endblock %}
 *
 *   <form method="post" action="..." data-stroom-form="schema-taak" data-stroom-form-data="data-taak"
 *         data-stroom-form-label="Beoordelen huurachterstand">
 *     <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
 *     <div data-stroom-form-container></div>
 *     <button class="utrecht-button utrecht-button--primary-action" type="submit">Afronden</button>
 *   </form>
 *   <script type="application/json" id="schema-taak">{{ schema | tojson }}</script>
 *   <script type="application/json" id="data-taak">{{ data | tojson }}</script>
 *
 * On submit the form-js values are validated in the browser (messages in Dutch); when they are
 * valid, they are put as JSON into the hidden field "data" (data-stroom-form-field renames it)
 * and the form is posted normally. The server validates again and renders the page again with
 * an error summary when something is wrong; the browser check is only a convenience.
 * From script: Stroom.renderForm(container, schema, data, {form, field, label}) returns a
 * promise of the form-js Form.
 */
(function () {
  "use strict";

  var Stroom = (window.Stroom = window.Stroom || {});

  function onReady(callback) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", callback);
    } else {
      callback();
    }
  }

  function focusElement(element) {
    if (!element) {
      return;
    }
    if (!element.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(element.tagName)) {
      element.setAttribute("tabindex", "-1");
    }
    element.focus();
  }

  /* ------------------------------------------------------------ messages */

  /** An NL Design System alert element with the message as text (never HTML). */
  function alertElement(message, kind) {
    var variant = { ok: "ok", warning: "warning", error: "error" }[kind] || "info";
    var alert = document.createElement("div");
    alert.className = "utrecht-alert utrecht-alert--" + variant + " stroom-alert";
    var icon = document.createElement("div");
    icon.className = "utrecht-alert__icon stroom-alert__icon";
    icon.setAttribute("aria-hidden", "true");
    var content = document.createElement("div");
    content.className = "utrecht-alert__content";
    var body = document.createElement("div");
    body.className = "utrecht-alert__message";
    var paragraph = document.createElement("p");
    paragraph.className = "utrecht-paragraph";
    paragraph.textContent = message;
    body.appendChild(paragraph);
    content.appendChild(body);
    alert.appendChild(icon);
    alert.appendChild(content);
    return alert;
  }

  /** Show a message in region (default: the page's live region #meldingen), replacing what
   * was there; kind "info", "ok", "warning" or "error". An empty message clears it. */
  Stroom.announce = function (message, kind, region) {
    region = region || document.getElementById("meldingen");
    if (!region) {
      return;
    }
    if (message) {
      region.replaceChildren(alertElement(message, kind));
    } else {
      region.replaceChildren();
    }
  };

  /* ------------------------------------------------------- skip link etc. */

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.utrecht-skip-link[href^='#']");
    if (!link) {
      return;
    }
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (target) {
      event.preventDefault();
      focusElement(target);
      target.scrollIntoView();
    }
  });

  onReady(function () {
    var summary = document.querySelector("[data-stroom-error-summary]");
    if (summary) {
      focusElement(summary);
    }
  });

  /* ----------------------------------------------------------------- htmx */

  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector("meta[name='csrf-token']");
    if (meta && meta.content) {
      event.detail.headers["X-CSRFToken"] = meta.content;
    }
  });

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var message =
      status === 403
        ? "U heeft geen toegang tot deze gegevens."
        : status === 404
          ? "De gevraagde gegevens zijn niet (meer) gevonden."
          : status === 409
            ? "Iemand anders heeft dit intussen gewijzigd. Laad de pagina opnieuw."
            : "Er ging iets mis bij het ophalen van de gegevens. Probeer het opnieuw.";
    Stroom.announce(message, "error");
  });

  document.addEventListener("htmx:sendError", function () {
    Stroom.announce("De server is niet bereikbaar. Controleer de verbinding en probeer het opnieuw.", "error");
  });

  /* -------------------------------------------------------------- form-js */

  // form-js reports validation errors in English; these are the Dutch texts.
  var MESSAGES = [
    [/^Field is required\.$/, function () { return "Dit veld is verplicht."; }],
    [/^Field must have minimum value of (.+)\.$/, function (m) { return "De waarde moet minimaal " + m[1] + " zijn."; }],
    [/^Field must have maximum value of (.+)\.$/, function (m) { return "De waarde mag hoogstens " + m[1] + " zijn."; }],
    [/^Field must have minimum length of (.+)\.$/, function (m) { return "Vul minstens " + m[1] + " tekens in."; }],
    [/^Field must have maximum length of (.+)\.$/, function (m) { return "Vul hoogstens " + m[1] + " tekens in."; }],
    [/^Field must match pattern /, function () { return "De invoer heeft niet de verwachte vorm."; }],
    [/^Field must be a valid email\.$/, function () { return "Vul een geldig e-mailadres in, zoals naam@voorbeeld.nl."; }],
    [/^Field must be a valid\s+international phone number/, function () { return "Vul een geldig telefoonnummer in met landnummer, zoals +31201234567."; }],
    [/^Value is not a number\.$/, function () { return "Vul een getal in."; }],
    [/^Value is expected to be an integer\.$/, function () { return "Vul een geheel getal in."; }],
    [/^Value is expected to have at most (\d+) decimal digits?\.$/, function (m) { return "Vul een getal in met hoogstens " + m[1] + " cijfers achter de komma."; }],
    [/^Please select a valid value, the two nearest valid values are (.+) and (.+)\.$/, function (m) { return "Kies een geldige waarde, bijvoorbeeld " + m[1] + " of " + m[2] + "."; }],
  ];

  function dutch(message) {
    for (var i = 0; i < MESSAGES.length; i++) {
      var match = MESSAGES[i][0].exec(message);
      if (match) {
        return MESSAGES[i][1](match);
      }
    }
    return message;
  }

  // A form-js module that translates the validator's messages (all fields, all paths).
  function DutchValidation(validator) {
    var validateFieldInstance = validator.validateFieldInstance.bind(validator);
    validator.validateFieldInstance = function (instance, value) {
      return validateFieldInstance(instance, value).map(dutch);
    };
    if (validator.validateField) {
      var validateField = validator.validateField.bind(validator);
      validator.validateField = function (field, value) {
        return validateField(field, value).map(dutch);
      };
    }
  }
  DutchValidation.$inject = ["validator"];
  var dutchValidationModule = {
    __init__: ["stroomDutchValidation"],
    stroomDutchValidation: ["type", DutchValidation],
  };

  function readJson(id) {
    if (!id) {
      return undefined;
    }
    var element = document.getElementById(id);
    if (!element) {
      throw new Error("Stroom.renderForm: geen element met id " + id);
    }
    return JSON.parse(element.textContent);
  }

  function countErrors(errors) {
    var count = 0;
    Object.keys(errors || {}).forEach(function (key) {
      var value = errors[key];
      if (Array.isArray(value) && value.every(function (item) { return typeof item === "string"; })) {
        count += value.length ? 1 : 0;
      } else if (value && typeof value === "object") {
        count += countErrors(value);
      }
    });
    return count;
  }

  /**
   * Render a form-js schema into container and post its values as JSON with the HTML form.
   *
   * @param {Element} container   where form-js draws the fields
   * @param {Object} schema        the form-js schema (.form file contents)
   * @param {Object} [data]        initial values
   * @param {Object} [options]     form: the HTMLFormElement that posts (default: the form
   *                               around container); field: name of the hidden input
   *                               (default "data"); label: accessible name of the fields
   * @returns {Promise<Object>}    the form-js Form
   */
  Stroom.renderForm = function (container, schema, data, options) {
    options = options || {};
    if (!window.FormViewer) {
      return Promise.reject(new Error("Stroom.renderForm: form-viewer.umd.js is niet geladen"));
    }
    var htmlForm = options.form || container.closest("form");
    if (!htmlForm) {
      return Promise.reject(new Error("Stroom.renderForm: geen <form> om te versturen"));
    }
    var fieldName = options.field || "data";
    var hidden = htmlForm.querySelector("input[type='hidden'][name='" + fieldName + "']");
    if (!hidden) {
      hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = fieldName;
      htmlForm.appendChild(hidden);
    }
    var status = document.createElement("div");
    status.className = "stroom-messages";
    status.setAttribute("role", "alert");
    container.parentNode.insertBefore(status, container);
    container.classList.add("stroom-form-js");
    watchFormJs(container);

    var form = new window.FormViewer.Form({
      container: container,
      // Apply every change at once: with form-js's default 300 ms debounce, a value typed
      // just before clicking a radio button overwrote that click (found by the browser tests).
      debounce: false,
      additionalModules: [dutchValidationModule],
      properties: options.label ? { ariaLabel: options.label } : {},
    });

    var ownSubmit = false;

    // Enter in a field or a form-js submit button submits form-js's own <form>: post ours.
    form.on("submit", function () {
      if (!ownSubmit) {
        if (htmlForm.requestSubmit) {
          htmlForm.requestSubmit();
        } else {
          htmlForm.submit();
        }
      }
    });

    htmlForm.addEventListener("submit", function (event) {
      if (event.target !== htmlForm) {
        return; // the submit event of form-js's own <form>, bubbling up
      }
      ownSubmit = true;
      var result;
      try {
        result = form.submit();
      } finally {
        ownSubmit = false;
      }
      // A draft is a form half filled in: kept as it is, checked only when completed.
      var draft = event.submitter && event.submitter.value === "concept";
      var errorCount = draft ? 0 : countErrors(result.errors);
      if (errorCount) {
        event.preventDefault();
        Stroom.announce(
          errorCount === 1
            ? "Eén veld is niet goed ingevuld. Het staat hieronder gemarkeerd."
            : errorCount + " velden zijn niet goed ingevuld. Ze staan hieronder gemarkeerd.",
          "error",
          status
        );
        window.setTimeout(function () {
          var invalid = container.querySelector(
            ".fjs-has-errors input, .fjs-has-errors textarea, .fjs-has-errors select, [aria-invalid='true']"
          );
          focusElement(invalid);
        }, 0);
        return;
      }
      Stroom.announce("", "error", status);
      hidden.value = JSON.stringify(result.data);
    });

    return form.importSchema(schema, data || {}).then(function () {
      return form;
    });
  };

  // Errors the server found ({key: [messages]}, data-stroom-form-errors) shown at their
  // fields, as form-js shows its own: form-js keys errors by component id.
  function showServerErrors(form, errors) {
    if (!errors || !Object.keys(errors).length) {
      return;
    }
    var byKey = {};
    (function walk(components) {
      (components || []).forEach(function (component) {
        if (component.key) {
          byKey[component.key] = component.id;
        }
        walk(component.components);
      });
    })(form._getState().schema.components);
    var mapped = {};
    Object.keys(errors).forEach(function (key) {
      if (byKey[key]) {
        mapped[byKey[key]] = [].concat(errors[key]);
      }
    });
    form._setState({ errors: mapped });
    // The error summary links to "#veld-<key>"; point each link at form-js's own input.
    window.setTimeout(function () {
      Object.keys(byKey).forEach(function (key) {
        var input = document.querySelector("[id$='-" + byKey[key] + "']");
        var link = document.querySelector("a[href='#veld-" + key + "']");
        if (input && link) {
          link.setAttribute("href", "#" + input.id);
        }
      });
    }, 0);
  }


  function initForms(root) {

    var forms = root.querySelectorAll ? root.querySelectorAll("form[data-stroom-form]") : [];
    Array.prototype.forEach.call(forms, function (htmlForm) {
      if (htmlForm.dataset.stroomFormReady) {
        return;
      }
      htmlForm.dataset.stroomFormReady = "1";
      var container = htmlForm.querySelector("[data-stroom-form-container]");
      if (!container) {
        container = document.createElement("div");
        htmlForm.insertBefore(container, htmlForm.firstChild);
      }
      Stroom.renderForm(
        container,
        readJson(htmlForm.dataset.stroomForm),
        readJson(htmlForm.dataset.stroomFormData),
        {
          form: htmlForm,
          field: htmlForm.dataset.stroomFormField,
          label: htmlForm.dataset.stroomFormLabel,
        }
      ).then(
        function (form) {
          showServerErrors(form, readJson(htmlForm.dataset.stroomFormErrors));
          htmlForm.dispatchEvent(new CustomEvent("stroom:form-ready", { detail: { form: form } }));
        },
        function (error) {
          Stroom.announce("Het formulier kon niet worden geladen. Laad de pagina opnieuw.", "error");
          throw error;
        }
      );
    });
  }

  /* --------------------------------------------------- form-js in Dutch */

  // form-js writes a few words of its own in English, without a way to translate them: the
  // empty dropdown says "Select", a searchable one "Search". Replaced wherever they appear.
  var FORM_JS_WORDS = { Select: "Kies een waarde", Search: "Zoeken" };

  function dutchFormJs(root) {
    Array.prototype.forEach.call(root.querySelectorAll(".fjs-select-display"), function (el) {
      if (FORM_JS_WORDS[el.textContent] && el.childNodes.length === 1) {
        el.firstChild.data = FORM_JS_WORDS[el.textContent];
      }
    });
    Array.prototype.forEach.call(root.querySelectorAll("input[placeholder]"), function (el) {
      var word = FORM_JS_WORDS[el.getAttribute("placeholder")];
      if (word) {
        el.setAttribute("placeholder", word);
      }
    });
  }

  // Also used by the form editor (form-editor.js) for the form it shows.
  Stroom.watchFormJs = watchFormJs;

  function watchFormJs(container) {
    dutchFormJs(container);
    new MutationObserver(function () {
      dutchFormJs(container);
    }).observe(container, { childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ["placeholder"] });
  }

  /* ------------------------------------------------ tables as cards */

  // On a narrow screen each table row is shown as a card (stroom.css); every cell gets the
  // text of its column header in data-label, which the card shows before the value.
  function labelCells(root) {
    var tables = root.querySelectorAll ? root.querySelectorAll("table.utrecht-table") : [];
    Array.prototype.forEach.call(tables, function (table) {
      var headers = [];
      var head = table.tHead && table.tHead.rows[0];
      if (!head) {
        return;
      }
      Array.prototype.forEach.call(head.cells, function (cell) {
        for (var i = 0; i < (cell.colSpan || 1); i++) {
          headers.push(cell.textContent.trim());
        }
      });
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (row) {
          var column = 0;
          Array.prototype.forEach.call(row.cells, function (cell) {
            if ((cell.colSpan || 1) === 1 && headers[column] && !cell.hasAttribute("data-label")) {
              cell.setAttribute("data-label", headers[column]);
            }
            column += cell.colSpan || 1;
          });
        });
      });
    });
  }

  onReady(function () {
    initForms(document);
    labelCells(document);
  });

  // Content swapped in by htmx gets the same treatment.
  document.addEventListener("htmx:load", function (event) {
    initForms(event.target);
    labelCells(event.target);
  });
})();
