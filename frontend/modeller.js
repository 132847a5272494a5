// The web modeller of /processen/<key>/bewerken (app/modelling/views.py), bundled by esbuild
// (scripts/vendor-assets) from the npm packages in package-lock.json into
// app/static/vendor/stroom-modeller/. No inline script: the page passes its data in a
// <script type="application/json" id="modeller-gegevens"> block.
import BpmnModeler from "bpmn-js/lib/Modeler";
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule,
} from "bpmn-js-properties-panel";
import { ElementTemplatesPropertiesProviderModule } from "bpmn-js-element-templates";
import ElementTemplateChooserModule from "@bpmn-io/element-template-chooser";
import CamundaBehaviorsModule from "camunda-bpmn-js-behaviors/lib/camunda-platform";
import camundaModdle from "camunda-bpmn-moddle/resources/camunda.json";
import { diff } from "bpmn-js-differ";

import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";
import "bpmn-js/dist/assets/bpmn-font/css/bpmn.css";
import "@bpmn-io/properties-panel/assets/properties-panel.css";
import "bpmn-js-element-templates/dist/assets/element-templates.css";
import "@bpmn-io/element-template-chooser/dist/element-template-chooser.css";

import { dutch } from "./dutch.js";

function translate(template, replacements) {
  const text = dutch[template] || template;
  return text.replace(/{([^}]+)}/g, (_, key) =>
    replacements && key in replacements ? replacements[key] : `{${key}}`,
  );
}

const TranslateModule = { translate: ["value", translate] };

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

function debounce(fn, wait) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
}

async function start(root) {
  const data = JSON.parse(document.getElementById(root.dataset.stroomModeller).textContent);
  const modeler = new BpmnModeler({
    container: root.querySelector("[data-modeller-canvas]"),
    propertiesPanel: { parent: root.querySelector("[data-modeller-panel]") },
    additionalModules: [
      TranslateModule,
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      CamundaPlatformPropertiesProviderModule,
      CamundaBehaviorsModule,
      ElementTemplatesPropertiesProviderModule,
      ElementTemplateChooserModule,
    ],
    moddleExtensions: { camunda: camundaModdle },
    elementTemplates: data.templates,
    keyboard: { bind: false },
  });
  const status = root.querySelector("[data-modeller-status]");
  const list = root.querySelector("[data-modeller-problems]");
  const count = root.querySelector("[data-modeller-count]");
  const publish = document.querySelector("[data-modeller-publish]");
  const xmlField = publish ? publish.querySelector('input[name="xml"]') : null;
  const publishButton = publish ? publish.querySelector('button[type="submit"]') : null;
  const canvas = modeler.get("canvas");
  const overlays = modeler.get("overlays");
  const registry = modeler.get("elementRegistry");
  const selection = modeler.get("selection");
  let marked = [];
  let checked = 0;

  function show(problems) {
    for (const id of marked) {
      if (registry.get(id)) canvas.removeMarker(id, "stroom-probleem");
    }
    overlays.remove({ type: "stroom-probleem" });
    marked = [];
    list.replaceChildren();
    const perElement = new Map();
    for (const problem of problems) {
      const item = document.createElement("li");
      item.className = "stroom-modeller__probleem";
      item.dataset.element = problem.element || "";
      const where = problem.element ? registry.get(problem.element) : null;
      if (where) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "utrecht-button utrecht-button--subtle stroom-modeller__ga-naar";
        const name = where.businessObject.name || problem.element;
        button.textContent = name;
        button.addEventListener("click", () => {
          selection.select(where);
          canvas.scrollToElement(where);
        });
        item.append(button, document.createTextNode(`: ${problem.melding}`));
        perElement.set(problem.element, (perElement.get(problem.element) || 0) + 1);
      } else {
        const where = [problem.element && `element ${problem.element}`, problem.regel && `regel ${problem.regel}`]
          .filter(Boolean)
          .join(", ");
        item.textContent = where ? `${where}: ${problem.melding}` : problem.melding;
      }
      list.append(item);
    }
    for (const [id, n] of perElement) {
      canvas.addMarker(id, "stroom-probleem");
      marked.push(id);
      const badge = document.createElement("span");
      badge.className = "stroom-modeller__badge";
      badge.textContent = String(n);
      badge.title = n === 1 ? "1 probleem" : `${n} problemen`;
      overlays.add(id, "stroom-probleem", { position: { top: -10, right: 10 }, html: badge });
    }
    const ok = problems.length === 0;
    count.textContent = ok
      ? "Geen problemen: dit diagram kan gepubliceerd worden."
      : problems.length === 1
        ? "1 probleem: los het op voordat u publiceert."
        : `${problems.length} problemen: los ze op voordat u publiceert.`;
    root.dataset.problemen = String(problems.length);
    if (publishButton) publishButton.disabled = !ok;
  }

  async function check() {
    const mine = ++checked;
    status.textContent = "Bezig met controleren…";
    let xml;
    try {
      ({ xml } = await modeler.saveXML({ format: true }));
    } catch (error) {
      status.textContent = `Het diagram is niet op te slaan: ${error.message}`;
      return;
    }
    if (xmlField) xmlField.value = xml;
    const response = await fetch(data.checkUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ xml }),
      credentials: "same-origin",
    });
    if (mine !== checked) return; // a newer check is under way
    if (!response.ok) {
      status.textContent =
        response.status === 429
          ? "Te veel controles achter elkaar: wacht een minuut; de volgende wijziging wordt weer gecontroleerd."
          : `Controleren lukte niet (${response.status}).`;
      if (publishButton) publishButton.disabled = true;
      return;
    }
    const answer = await response.json();
    show(answer.problemen);
    status.textContent = "Gecontroleerd.";
    root.dataset.gecontroleerd = String(mine);
  }

  // The difference with the version in use (bpmn-js-differ): added and changed elements
  // coloured on the canvas, every difference (also what was removed) in a list.
  const differences = root.querySelector("[data-modeller-diff]");
  const diffCount = root.querySelector("[data-modeller-diff-count]");
  let diffMarked = [];
  const { rootElement: running } = await modeler.get("moddle").fromXML(data.runningXml);

  const ATTRIBUTES = {
    name: "naam",
    sourceRef: "van",
    targetRef: "naar",
    conditionExpression: "voorwaarde",
    default: "standaardpad",
    extensionElements: "invoer, uitvoer of eigenschappen",
    documentation: "documentatie",
    eventDefinitions: "gebeurtenis",
    attachedToRef: "vast aan",
    formKey: "formulier",
    candidateGroups: "kandidaatgroepen",
    topic: "topic",
    type: "implementatie",
    dueDate: "vervaldatum",
  };

  function label(element, id) {
    return element && element.name ? `${element.name} (${id})` : id;
  }

  function showDiff() {
    for (const [id, marker] of diffMarked) {
      if (registry.get(id)) canvas.removeMarker(id, marker);
    }
    diffMarked = [];
    differences.replaceChildren();
    const changes = diff(running, modeler.getDefinitions());
    const semantic = (element) => element && !/^(bpmndi|dc|di):/.test(element.$type || "");
    const rows = [];
    for (const [id, element] of Object.entries(changes._added)) {
      if (semantic(element)) rows.push(["toegevoegd", id, label(element, id)]);
    }
    for (const [id, change] of Object.entries(changes._changed)) {
      const attrs = Object.keys(change.attrs || {}).filter(
        (name) => !["flowElements", "rootElements", "incoming", "outgoing"].includes(name),
      );
      if (semantic(change.model) && attrs.length) {
        const names = attrs.map((name) => ATTRIBUTES[name.replace(/^camunda:/, "")] || name);
        rows.push(["gewijzigd", id, `${label(change.model, id)}: ${names.join(", ")}`]);
      }
    }
    for (const [id, element] of Object.entries(changes._removed)) {
      if (semantic(element)) rows.push(["verwijderd", id, label(element, id)]);
    }
    for (const [kind, id, text] of rows) {
      const item = document.createElement("li");
      item.className = `stroom-modeller__verschil stroom-modeller__verschil--${kind}`;
      item.dataset.verschil = kind;
      item.dataset.element = id;
      item.textContent = `${kind[0].toUpperCase()}${kind.slice(1)}: ${text}`;
      differences.append(item);
      if (kind !== "verwijderd" && registry.get(id)) {
        const marker = `stroom-${kind}`;
        canvas.addMarker(id, marker);
        diffMarked.push([id, marker]);
      }
    }
    diffCount.textContent = rows.length
      ? `${rows.length} verschil${rows.length === 1 ? "" : "len"} met versie ${data.runningVersion}, die nu in gebruik is.`
      : `Geen verschil met versie ${data.runningVersion}, die nu in gebruik is.`;
  }

  // data-bezig: a change is waiting to be checked (for people: the status line; for tests).
  const later = debounce(async () => {
    showDiff();
    await check();
    delete root.dataset.bezig;
  }, 600);
  modeler.on("commandStack.changed", () => {
    root.dataset.bezig = "1";
    later();
  });
  await modeler.importXML(data.xml);
  showDiff();
  canvas.zoom("fit-viewport");
  if (publishButton) publishButton.disabled = true;
  // Publishing and saving a draft send the diagram as it is now (with the button pressed).
  for (const form of document.querySelectorAll("[data-modeller-publish], [data-modeller-save]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const button = event.submitter;
      modeler.saveXML({ format: true }).then(({ xml }) => {
        form.querySelector('input[name="xml"]').value = xml;
        if (button && button.name) {
          const step = document.createElement("input");
          step.type = "hidden";
          step.name = button.name;
          step.value = button.value;
          form.append(step);
        }
        form.submit();
      });
    });
  }
  await check();
  window.stroomModeller = modeler; // for the browser test and the console
}

for (const root of document.querySelectorAll("[data-stroom-modeller]")) {
  start(root);
}
