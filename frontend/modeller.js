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
      status.textContent = `Controleren lukte niet (${response.status}).`;
      if (publishButton) publishButton.disabled = true;
      return;
    }
    const answer = await response.json();
    show(answer.problemen);
    status.textContent = "Gecontroleerd.";
    root.dataset.gecontroleerd = String(mine);
  }

  const later = debounce(check, 600);
  modeler.on("commandStack.changed", later);
  await modeler.importXML(data.xml);
  canvas.zoom("fit-viewport");
  if (publishButton) publishButton.disabled = true;
  if (publish) {
    publish.addEventListener("submit", (event) => {
      event.preventDefault();
      modeler.saveXML({ format: true }).then(({ xml }) => {
        xmlField.value = xml;
        publish.submit();
      });
    });
  }
  await check();
  window.stroomModeller = modeler; // for the browser test and the console
}

for (const root of document.querySelectorAll("[data-stroom-modeller]")) {
  start(root);
}
