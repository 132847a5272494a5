// Loads each BPMN file with bpmn-moddle (the library behind bpmn-js and the Camunda Modeler,
// with the Camunda 7 extension descriptor) and prints its warnings as JSON:
//   node scripts/check-bpmn.mjs bpmn/*.bpmn  ->  {"file": ["warning", ...], ...}
import { readFileSync } from "node:fs";
import { BpmnModdle } from "bpmn-moddle";
import camunda from "camunda-bpmn-moddle/resources/camunda.json" with { type: "json" };

const moddle = new BpmnModdle({ camunda });
const result = {};
for (const file of process.argv.slice(2)) {
  try {
    const { warnings } = await moddle.fromXML(readFileSync(file, "utf8"), "bpmn:Definitions");
    result[file] = warnings.map((w) => w.message);
  } catch (error) {
    result[file] = [`kan niet worden gelezen: ${error.message}`];
  }
}
console.log(JSON.stringify(result));
