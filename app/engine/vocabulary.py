"""The BPMN 2.0 / Camunda 7 vocabulary: for every element and every `camunda:` attribute or
extension element, whether it runs with Camunda 7's meaning or is refused at deploy.

Nothing in between: an element or `camunda:` name that is not in these tables is refused as
unknown, never ignored. `docs/bpmn-support.md` is the same table for people;
`tests/engine/test_vocabulary.py` keeps the two equal and runs a diagram for every row.

`check_vocabulary(path, root)` runs before SpiffWorkflow sees the diagram, so a refused
construct never gets as far as a spec. Messages are Dutch and name what to use instead.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from app.engine.errors import Problem

# Marks the receive task `rewrite_event_gateways` makes of an event-based gateway without a
# message branch (an attribute of the rewritten tree only; app/engine/parser.py).
GATEWAY_WAIT = "stroomGatewayWait"

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
# Layout and tool namespaces: drawing only, no meaning for execution.
LAYOUT_NAMESPACES = (
    "http://www.omg.org/spec/BPMN/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DC",
    "http://www.omg.org/spec/DD/20100524/DI",
    "http://bpmn.io/schema/bpmn/biocolor/1.0",
    "http://www.omg.org/spec/BPMN/non-normative/color/1.0",
    "http://camunda.org/schema/modeler/1.0",
    "http://www.w3.org/2001/XMLSchema-instance",
)


@dataclass(frozen=True)
class Rule:
    runs: bool
    note: str  # runs: how; refused: why, and what to use instead (Dutch, shown at deploy)


def runs(note: str) -> Rule:
    return Rule(True, note)


def refused(note: str) -> Rule:
    return Rule(False, note)


_SCRIPT = 'gebruik een scriptTask met scriptFormat="python"'
_EXTERNAL = 'gebruik een service task met camunda:type="external" en een camunda:topic'
_MI_DATA = (
    "data-invoer van multi-instance werkt niet in Camunda 7; gebruik camunda:collection en "
    "camunda:elementVariable"
)
_MI_OUTPUT = (
    "uitvoer van multi-instance kent Camunda 7 niet; laat elke instantie een eigen veld "
    "schrijven, of verzamel in een scriptTask na de taak"
)

# bpmn:* elements. Context rules (which event definition where, which attribute value) are
# in `_context_problems`; these say what the element is by itself.
ELEMENTS: dict[str, Rule] = {
    # documents and structure
    "definitions": runs("het document"),
    "process": runs('uitvoerbaar met isExecutable="true"; één versie per wijziging'),
    "collaboration": runs("tekening van deelnemers; geen gedrag"),
    "participant": runs("tekening; de naam wordt de procesnaam"),
    "messageFlow": runs("tekening; berichten worden gecorreleerd via de API en CLI"),
    "laneSet": runs("banen"),
    "lane": runs("de baan is de standaard kandidaatgroep van een user task"),
    "childLaneSet": runs("geneste banen"),
    "flowNodeRef": runs("lid van een baan"),
    "documentation": runs("tekst; geen gedrag"),
    "extensionElements": runs("draagt de camunda:-uitbreidingen, elk apart beoordeeld"),
    "textAnnotation": runs("tekst; geen gedrag"),
    "text": runs("tekst; geen gedrag"),
    "association": runs("tekening; geen gedrag"),
    "group": runs("tekening; geen gedrag"),
    "category": runs("tekening (hoort bij een groep)"),
    "categoryValue": runs("tekening (hoort bij een groep)"),
    "incoming": runs("verwijzing naar een sequence flow"),
    "outgoing": runs("verwijzing naar een sequence flow"),
    "message": runs("een bericht met een naam; ontvangst via API/CLI met correlatiesleutel"),
    "error": runs("een BPMN-fout met errorCode, gegooid door een fout-eindgebeurtenis"),
    "itemDefinition": runs("typeverwijzing; geen gedrag"),
    # flow
    "sequenceFlow": runs("ook zonder id; een voorwaarde is een expressie"),
    "conditionExpression": runs(
        "Python of de JUEL-deelverzameling, bij deploy vertaald en gecontroleerd"
    ),
    # events
    "startEvent": runs(
        "een gewone start, of een start op een signaal; andere soorten zie de regels"
    ),
    "endEvent": runs("een gewoon einde, terminate, een fout-einde of een signaal-einde"),
    "intermediateCatchEvent": runs(
        "wachten op een timer, een bericht, een signaal of een voorwaarde"
    ),
    "intermediateThrowEvent": runs("een gewone tussengebeurtenis (geen gedrag), of een signaal"),
    "boundaryEvent": runs(
        "timer, bericht, signaal of voorwaarde (onderbrekend of niet), fout op een subproces"
    ),
    "messageEventDefinition": runs(
        "bericht: vangen bij start van niets, tussengebeurtenis, grens, ontvangsttaak"
    ),
    "timerEventDefinition": runs("timeDate, timeDuration, timeCycle (ISO 8601, geen CRON)"),
    "timeDate": runs("ISO-8601-tijdstip of expressie"),
    "timeDuration": runs("ISO-8601-duur of expressie"),
    "timeCycle": runs("ISO-8601-herhaling R/…; CRON wordt geweigerd"),
    "terminateEventDefinition": runs("beëindigt het (deel)proces"),
    "errorEventDefinition": runs(
        "fout-einde in een subproces, gevangen door een grensgebeurtenis op dat subproces of "
        "door de foutstart van een event-subproces"
    ),
    "signalEventDefinition": runs(
        "signaal (signalRef): een broadcast aan elke wachtende vang- en grensgebeurtenis in "
        "alle instanties, en een nieuwe instantie van de nieuwste versie van elk proces met "
        "een signaalstart; gooien met een tussen- of eindgebeurtenis (zonder variabelen)"
    ),
    "signal": runs(
        "een signaal met een vaste naam; versturen van buiten via POST /api/v1/bpmn-signals "
        "of stroom signal send, met variabelen volgens de gegevenscatalogus"
    ),
    "escalationEventDefinition": refused(
        "escalaties worden niet ondersteund; gebruik een fout-eindgebeurtenis met een "
        "grensgebeurtenis, of een bericht"
    ),
    "escalation": refused("escalaties worden niet ondersteund; gebruik een fout (bpmn:error)"),
    "conditionalEventDefinition": runs(
        "voorwaardelijke tussen- en grensgebeurtenis (onderbrekend of niet): de voorwaarde "
        "wordt geëvalueerd als de gebeurtenis bereikt wordt en opnieuw na elke wijziging van "
        "de procesvariabelen (taak voltooid, bericht of signaal met gegevens, resultaat van "
        "een service task, script), niet op een klok"
    ),
    "condition": runs(
        "de voorwaarde van een voorwaardelijke gebeurtenis: Python of de JUEL-deelverzameling, "
        "bij deploy vertaald en gecontroleerd"
    ),
    "linkEventDefinition": runs(
        "een link-tussengebeurtenis gaat verder bij de link-vang met dezelfde naam in "
        "hetzelfde (deel)proces"
    ),
    "compensateEventDefinition": refused(
        "compensatie wordt niet ondersteund; teken het terugdraaien als gewone taken na een "
        "fout- of berichtgrensgebeurtenis"
    ),
    "cancelEventDefinition": refused(
        "transacties en annuleren worden niet ondersteund; gebruik een fout-eindgebeurtenis "
        "in een subproces"
    ),
    # activities
    "task": runs("doorloop-activiteit zonder gedrag, zoals in Camunda 7 (geen menselijke taak)"),
    "manualTask": runs(
        "doorloop-activiteit zonder gedrag, zoals in Camunda 7 (geen menselijke taak)"
    ),
    "userTask": runs("menselijke taak: groep, toegewezene, formulier, termijnen"),
    "serviceTask": runs(
        'alleen extern: camunda:type="external" met een camunda:topic van een handler'
    ),
    "sendTask": runs(
        'alleen extern: camunda:type="external" met een camunda:topic van een handler'
    ),
    "receiveTask": runs("wacht op een bericht (messageRef verplicht)"),
    "scriptTask": runs('scriptFormat="python" (of leeg), in de sandbox; camunda:resultVariable'),
    "script": runs("Python-script of -expressie"),
    "businessRuleTask": refused(
        "DMN-beslistabellen worden niet ondersteund; reken de beslissing uit in een "
        "scriptTask (Python) of met exclusieve gateways"
    ),
    "subProcess": runs(
        "ingebed subproces; event-subproces (triggeredByEvent) met een timer-, bericht-, "
        "signaal- of foutstart, onderbrekend of niet (zie de regels)"
    ),
    "callActivity": runs(
        "roept een proces uit dezelfde deploy aan; camunda:in en camunda:out bepalen wat "
        "heen en terug gaat (zonder: niets)"
    ),
    "transaction": refused(
        "transacties worden niet ondersteund; gebruik een subproces met een fout-grensgebeurtenis"
    ),
    "adHocSubProcess": refused(
        "ad-hoc-subprocessen worden niet ondersteund; gebruik parallelle user tasks"
    ),
    "multiInstanceLoopCharacteristics": runs(
        "meervoudige uitvoering zoals Camunda 7: parallel of isSequential, per element van "
        "camunda:collection of loopCardinality keer; elke instantie een eigen taak; op user, "
        "externe service/send, script en gewone taken"
    ),
    "loopCardinality": runs("het aantal instanties: een geheel getal of expressie"),
    "completionCondition": runs(
        "na elke voltooide instantie; waar: de open instanties vervallen en de flow gaat "
        "verder (met loopCounter, nrOfInstances, nrOfActiveInstances, nrOfCompletedInstances)"
    ),
    "loopDataInputRef": refused(_MI_DATA),
    "inputDataItem": refused(_MI_DATA),
    "loopDataOutputRef": refused(_MI_OUTPUT),
    "outputDataItem": refused(_MI_OUTPUT),
    "complexBehaviorDefinition": refused(
        "gebeurtenissen per instantie worden niet ondersteund (ook niet in Camunda 7); "
        "gebruik een completionCondition"
    ),
    "standardLoopCharacteristics": refused(
        "standaardlussen kent Camunda 7 niet; gebruik een lus met een exclusieve gateway"
    ),
    "loopCondition": refused("hoort bij een standaardlus, die niet wordt ondersteund"),
    # gateways
    "exclusiveGateway": runs("kiest de eerste ware voorwaarde, anders de default"),
    "inclusiveGateway": runs(
        "alle ware voorwaarden, anders de default; een tak mag niet lezen wat een andere tak "
        "van dezelfde splitsing schrijft (lees het na de samenvoeging)"
    ),
    "parallelGateway": runs(
        "splitsen en samenvoegen; een tak mag niet lezen wat een andere tak van dezelfde "
        "splitsing schrijft (lees het na de samenvoeging)"
    ),
    "eventBasedGateway": runs(
        "de eerste gebeurtenis (bericht, timer, signaal, voorwaarde) wint en trekt de andere "
        "in; ook zonder berichttak; uitgevoerd als een receive task met grensgebeurtenissen "
        "(SpiffWorkflow's eigen gateway is onbetrouwbaar)"
    ),
    "complexGateway": refused(
        "complexe gateways worden niet ondersteund; gebruik een inclusieve of parallelle gateway"
    ),
    # data
    "dataObject": refused(
        "data-objecten worden niet ondersteund; procesvariabelen staan in de gegevenscatalogus"
    ),
    "dataObjectReference": refused(
        "data-objecten worden niet ondersteund; procesvariabelen staan in de gegevenscatalogus"
    ),
    "dataStoreReference": refused(
        "data stores worden niet ondersteund; haal gegevens op met een service task (topic)"
    ),
    "dataStore": refused(
        "data stores worden niet ondersteund; haal gegevens op met een service task (topic)"
    ),
    "dataInputAssociation": refused(
        "data-associaties worden niet ondersteund; procesvariabelen staan in de gegevenscatalogus"
    ),
    "dataOutputAssociation": refused(
        "data-associaties worden niet ondersteund; procesvariabelen staan in de gegevenscatalogus"
    ),
    "ioSpecification": refused(
        "ioSpecification wordt niet ondersteund; gebruik camunda:inputOutput op een service task"
    ),
    "property": refused("BPMN-properties worden niet ondersteund; gebruik de gegevenscatalogus"),
}

# camunda:* attributes, by local name.
CAMUNDA_ATTRIBUTES: dict[str, Rule] = {
    "candidateGroups": runs("user task: kandidaatgroepen (teams); standaard de baan"),
    "candidateUsers": runs("user task: kandidaatgebruikers"),
    "assignee": runs("user task: toegewezene"),
    "dueDate": runs("user task: uiterste datum (expressie, bijvoorbeeld werkdagen(5))"),
    "followUpDate": runs("user task: opvolgdatum"),
    "priority": runs("user task: prioriteit"),
    "formKey": runs("user task: form-js-formulier uit forms/"),
    "formRef": runs("user task: form-js-formulier uit forms/ (op id)"),
    "formRefBinding": runs('alleen "latest" of "deployment": het formulier van deze deploy'),
    "type": runs('alleen "external" op een service/send task'),
    "topic": runs("het topic van een handler in handlers/"),
    "resultVariable": runs("scriptTask: de waarde van de laatste expressie van het script"),
    "asyncBefore": runs("geen effect nodig: elke stap wordt al apart opgeslagen"),
    "asyncAfter": runs("geen effect nodig: elke stap wordt al apart opgeslagen"),
    "async": runs("geen effect nodig: elke stap wordt al apart opgeslagen"),
    "exclusive": runs("geen effect nodig: een instantie wordt nooit gelijktijdig verwerkt"),
    "historyTimeToLive": runs(
        "geen effect: bewaartermijnen komen uit de gegevenscatalogus (per veld)"
    ),
    "versionTag": runs("informatief; versies telt de engine zelf"),
    "isStartableInTasklist": runs("informatief; starten gaat via de API, CLI of intake"),
    "errorMessage": runs("tekst bij een bpmn:error"),
    "modelerTemplate": runs("sjabloon van de Modeler; de attributen zelf worden beoordeeld"),
    "modelerTemplateVersion": runs("sjabloon van de Modeler; geen gedrag"),
    "modelerTemplateIcon": runs("sjabloon van de Modeler; geen gedrag"),
    "class": refused(f"Java-klassen (JavaDelegate) kunnen niet draaien; {_EXTERNAL}"),
    "expression": refused(f"Java-expressies (beans) kunnen niet draaien; {_EXTERNAL}"),
    "delegateExpression": refused(f"Java-delegates kunnen niet draaien; {_EXTERNAL}"),
    "taskPriority": refused("prioriteit van externe taken wordt niet ondersteund; laat hem weg"),
    "jobPriority": refused("prioriteit van jobs wordt niet ondersteund; laat hem weg"),
    "candidateStarterGroups": refused(
        "wie mag starten regelt de rol in Stroom (autorisatie), niet het diagram; laat het weg"
    ),
    "candidateStarterUsers": refused(
        "wie mag starten regelt de rol in Stroom (autorisatie), niet het diagram; laat het weg"
    ),
    "initiator": refused(
        "camunda:initiator wordt niet ondersteund; geef de starter mee in de startgegevens"
    ),
    "formHandlerClass": refused(
        "Java-formulierhandlers kunnen niet draaien; gebruik camunda:formRef"
    ),
    "formField": refused(
        "gegenereerde formulieren: gebruik camunda:formRef met een form-js-formulier"
    ),
    "collection": runs(
        "multi-instance: een lijstveld uit de gegevenscatalogus, of een ${…}-expressie die een "
        "lijst geeft; één instantie per element"
    ),
    "elementVariable": runs(
        "multi-instance: het element van de instantie, lokaal (alleen die instantie ziet het)"
    ),
    "errorCodeVariable": runs(
        "fout-grensgebeurtenis: de foutcode die hij ving komt in deze variabele"
    ),
    "errorMessageVariable": runs(
        "fout-grensgebeurtenis: de camunda:errorMessage van de gevangen fout komt in deze variabele"
    ),
    "escalationCodeVariable": refused("escalaties worden niet ondersteund"),
    "calledElementBinding": runs('alleen "latest": de versie uit dezelfde deploy'),
    "calledElementVersion": refused(
        "een vaste versie aanroepen wordt niet ondersteund; deploy de processen samen"
    ),
    "calledElementVersionTag": refused(
        "een versietag aanroepen wordt niet ondersteund; deploy de processen samen"
    ),
    "calledElementTenantId": refused("tenants worden niet ondersteund; laat het weg"),
    "variableMappingClass": refused("Java-klassen kunnen niet draaien; laat het weg"),
    "variableMappingDelegateExpression": refused(
        "Java-delegates kunnen niet draaien; laat het weg"
    ),
    "caseRef": refused("CMMN wordt niet ondersteund"),
    "caseBinding": refused("CMMN wordt niet ondersteund"),
    "caseVersion": refused("CMMN wordt niet ondersteund"),
    "caseTenantId": refused("CMMN wordt niet ondersteund"),
    "decisionRef": refused("DMN wordt niet ondersteund; gebruik een scriptTask (Python)"),
    "decisionRefBinding": refused("DMN wordt niet ondersteund"),
    "decisionRefVersion": refused("DMN wordt niet ondersteund"),
    "decisionRefVersionTag": refused("DMN wordt niet ondersteund"),
    "decisionRefTenantId": refused("DMN wordt niet ondersteund"),
    "mapDecisionResult": refused("DMN wordt niet ondersteund"),
    "variableName": refused(
        "een voorwaarde die alleen bij één variabele geëvalueerd wordt, wordt niet ondersteund: "
        "Stroom evalueert de voorwaarde bij elke wijziging van de procesvariabelen; laat "
        "camunda:variableName weg"
    ),
    "variableEvents": refused(
        "een voorwaarde die alleen bij bepaalde variabele-gebeurtenissen (create, update, "
        "delete) geëvalueerd wordt, wordt niet ondersteund: Stroom evalueert de voorwaarde "
        "bij elke wijziging van de procesvariabelen; laat camunda:variableEvents weg"
    ),
    "formRefVersion": refused("een vaste formulierversie wordt niet ondersteund; laat het weg"),
    "formRefTenantId": refused("tenants worden niet ondersteund; laat het weg"),
    "resource": refused(
        "een script uit een extern bestand wordt niet ondersteund; zet het script in het diagram"
    ),
}

# camunda:* extension elements, by local name.
CAMUNDA_ELEMENTS: dict[str, Rule] = {
    "properties": runs("uitbreidingseigenschappen; partij en correlationKey hebben betekenis"),
    "property": runs("één uitbreidingseigenschap"),
    "inputOutput": runs(
        "alleen op een externe service/send task: invoer voor en uitvoer van de handler"
    ),
    "inputParameter": runs("invoer voor de handler: expressie, lijst, map of Python-script"),
    "outputParameter": runs("uitvoer van de handler naar procesvariabelen"),
    "list": runs("een lijst in een parameter"),
    "map": runs("een map in een parameter"),
    "entry": runs("een element van een map"),
    "value": runs("een element van een lijst"),
    "script": runs('een parameter als script: alleen scriptFormat="python"'),
    "executionListener": refused(
        "execution listeners worden niet ondersteund; teken het gedrag als een scriptTask of "
        "service task in de flow"
    ),
    "taskListener": refused(
        "task listeners worden niet ondersteund; teken het gedrag als een scriptTask of "
        "service task voor of na de user task"
    ),
    "in": runs(
        'variables="all" (alle variabelen), of target met source of sourceExpression: '
        "het aangeroepen proces krijgt alleen wat zo wordt doorgegeven"
    ),
    "out": runs(
        'variables="all", of target met source of sourceExpression: alleen wat zo '
        "terugkomt verandert bij de aanroeper"
    ),
    "field": refused(f"velden voor Java-delegates kunnen niet draaien; {_EXTERNAL}"),
    "connector": refused(f"connectoren (http-connector) kunnen niet draaien; {_EXTERNAL}"),
    "connectorId": refused(f"connectoren kunnen niet draaien; {_EXTERNAL}"),
    "formData": refused(
        "gegenereerde formulieren: gebruik camunda:formRef met een form-js-formulier"
    ),
    "formField": refused(
        "gegenereerde formulieren: gebruik camunda:formRef met een form-js-formulier"
    ),
    "failedJobRetryTimeCycle": refused(
        "herhalingen bij fouten regelt de engine zelf (incident en herstel); laat het weg"
    ),
    "potentialStarter": refused("wie mag starten regelt de rol in Stroom; laat het weg"),
    "errorEventDefinition": refused(
        "foutafhandeling met expressies op externe taken wordt niet ondersteund; laat de "
        "handler een fout melden (incident)"
    ),
    "string": refused(f"hoort bij velden voor Java-delegates; {_EXTERNAL}"),
    "expression": refused(f"hoort bij velden voor Java-delegates; {_EXTERNAL}"),
}

# Attributes without a namespace whose values change behaviour.
PLAIN_ATTRIBUTE_VALUES: dict[tuple[str, str], tuple[set[str], str]] = {
    ("*", "isForCompensation"): (
        {"false"},
        "compensatie wordt niet ondersteund; teken het terugdraaien als gewone taken",
    ),
    ("receiveTask", "instantiate"): (
        {"false"},
        "een receive task die het proces start wordt niet ondersteund; start het proces via "
        "de API of CLI",
    ),
    ("scriptTask", "scriptFormat"): (
        {"python", "Python", ""},
        "alleen Python-scripts kunnen draaien (JavaScript, Groovy, JUEL en andere niet); "
        'herschrijf het script in Python en zet scriptFormat="python"',
    ),
    ("script", "scriptFormat"): (
        {"python", "Python", ""},
        "alleen Python-scripts kunnen draaien (JavaScript, Groovy, JUEL en andere niet); "
        'herschrijf het script in Python en zet scriptFormat="python"',
    ),
    ("conditionExpression", "language"): (
        {"", "python", "Python", "juel", "JUEL"},
        "alleen Python- of JUEL-voorwaarden kunnen draaien; herschrijf de voorwaarde",
    ),
    ("condition", "language"): (
        {"", "python", "Python", "juel", "JUEL"},
        "alleen Python- of JUEL-voorwaarden kunnen draaien; herschrijf de voorwaarde",
    ),
    ("camunda", "formRefBinding"): (
        {"latest", "deployment"},
        "alleen latest of deployment: het formulier uit dezelfde deploy",
    ),
    ("camunda", "calledElementBinding"): (
        {"latest"},
        "alleen latest: het proces uit dezelfde deploy",
    ),
    ("camunda", "type"): (
        {"external"},
        'alleen camunda:type="external" (een handler in handlers/) kan draaien',
    ),
    ("in", "variables"): ({"all"}, 'alleen variables="all" wordt ondersteund'),
    ("out", "variables"): ({"all"}, 'alleen variables="all" wordt ondersteund'),
}

XML_NS = "http://www.w3.org/XML/1998/namespace"
# The flow nodes of a process: what the catalogue must place in a phase (the privacy check)
# and what a draft catalogue lists (draft.py).
FLOW_NODE_TYPES = frozenset(
    {
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "task",
        "userTask",
        "serviceTask",
        "scriptTask",
        "manualTask",
        "sendTask",
        "receiveTask",
        "businessRuleTask",
        "callActivity",
        "subProcess",
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "eventBasedGateway",
    }
)

_USER_TASK = {"userTask"}
# Where a camunda: attribute has its effect; elsewhere it would be ignored, so it is refused.
ATTRIBUTE_HOSTS: dict[str, set[str]] = {
    "candidateGroups": _USER_TASK,
    "candidateUsers": _USER_TASK,
    "assignee": _USER_TASK,
    "dueDate": _USER_TASK,
    "followUpDate": _USER_TASK,
    "priority": _USER_TASK,
    "formKey": _USER_TASK,
    "formRef": _USER_TASK,
    "formRefBinding": _USER_TASK,
    "type": {"serviceTask", "sendTask"},
    "topic": {"serviceTask", "sendTask"},
    "resultVariable": {"scriptTask"},
    "errorMessage": {"error"},
    "calledElementBinding": {"callActivity"},
    "errorCodeVariable": {"errorEventDefinition"},
    "errorMessageVariable": {"errorEventDefinition"},
    "historyTimeToLive": {"process"},
    "versionTag": {"process"},
    "isStartableInTasklist": {"process"},
    "collection": {"multiInstanceLoopCharacteristics"},
    "elementVariable": {"multiInstanceLoopCharacteristics"},
}


def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def check_vocabulary(path: Path, root: etree._Element) -> list[Problem]:
    """Every element and camunda: name of the document, checked against the tables."""
    problems: list[Problem] = []

    def problem(element: etree._Element, message: str) -> None:
        # The element a modeller can select: an event definition's own id (the Camunda
        # Modeler gives every one an id) names no shape, so its event is named instead.
        owner = element
        while owner is not None and (
            owner.get("id") is None or _local(owner.tag)[1].endswith("EventDefinition")
        ):
            owner = owner.getparent()
        element_id = owner.get("id") if owner is not None else None
        problems.append(Problem(str(path), element_id, element.sourceline, message))

    skip: set[etree._Element] = set()  # processes that are not executable: not run
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if any(ancestor in skip for ancestor in element.iterancestors()):
            continue
        ns, name = _local(element.tag)
        if ns in LAYOUT_NAMESPACES:
            continue
        if ns == BPMN_NS:
            rule = ELEMENTS.get(name)
            if rule is None:
                problem(
                    element, f"bpmn:{name} wordt niet ondersteund; de engine voert het niet uit"
                )
                continue
            if not rule.runs:
                problem(element, f"bpmn:{name}: {rule.note}")
                continue
            if name == "process" and element.get("isExecutable") not in ("true", "1"):
                skip.add(element)
                continue
        elif ns == CAMUNDA_NS:
            rule = CAMUNDA_ELEMENTS.get(name)
            if rule is None:
                problem(
                    element,
                    f"onbekend Camunda-element camunda:{name}; de engine voert het niet uit",
                )
                continue
            if not rule.runs:
                problem(element, f"camunda:{name}: {rule.note}")
                continue
        else:
            problem(element, f"onbekend element {element.tag}; de engine voert het niet uit")
            continue
        for attribute, value in element.attrib.items():
            ans, aname = _local(attribute)
            if ans == CAMUNDA_NS:
                arule = CAMUNDA_ATTRIBUTES.get(aname)
                if arule is None:
                    problem(
                        element, f"onbekend attribuut camunda:{aname}; de engine voert het niet uit"
                    )
                    continue
                if not arule.runs:
                    problem(element, f"camunda:{aname}: {arule.note}")
                    continue
                hosts = ATTRIBUTE_HOSTS.get(aname)
                if aname in ("formKey", "formRef") and name == "startEvent":
                    problem(
                        element,
                        f"camunda:{aname}: een startformulier wordt niet getoond; de "
                        "startgegevens komen via de API, de CLI of de intake (zet een "
                        "formulier op een user task na de start)",
                    )
                    continue
                if hosts is not None and name not in hosts and ns == BPMN_NS:
                    problem(
                        element,
                        f"camunda:{aname} heeft op bpmn:{name} geen effect in de engine "
                        f"(alleen op {', '.join(sorted(hosts))}); laat het weg",
                    )
                    continue
            elif ans not in ("", *LAYOUT_NAMESPACES, XML_NS):
                problem(element, f"onbekend attribuut {attribute}; de engine voert het niet uit")
                continue
            key = ("camunda" if ans == CAMUNDA_NS else name, aname)
            allowed = PLAIN_ATTRIBUTE_VALUES.get(key)
            if allowed is None and ans == "":
                allowed = PLAIN_ATTRIBUTE_VALUES.get(("*", aname))
            if allowed is not None and value.strip() not in allowed[0]:
                problem(element, f"{aname}={value!r}: {allowed[1]}")
        if ns in (BPMN_NS, CAMUNDA_NS):
            message = _context_problem(element, ns, name)
            if message:
                problem(element, message)
    if not problems:
        for element, message in _flow_problems(root, skip):
            problem(element, message)
    return problems


def _signal_problem(
    element: etree._Element, name: str, parent: etree._Element | None
) -> str | None:
    definition = _child(element, "signalEventDefinition")
    assert definition is not None
    if not definition.get("signalRef"):
        return (
            "een signaalgebeurtenis zonder signalRef; kies een signaal (bpmn:signal met een naam)"
        )
    if name == "startEvent" and parent is not None and _local(parent.tag)[1] == "process":
        ref = definition.get("signalRef")
        for other in parent.iterchildren(f"{{{BPMN_NS}}}startEvent"):
            if other is element:
                break
            other_definition = _child(other, "signalEventDefinition")
            if other_definition is not None and other_definition.get("signalRef") == ref:
                return (
                    f"twee signaalstarts op hetzelfde signaal {ref!r} in één proces; Camunda 7 "
                    "weigert dat ook: houd er één"
                )
    if name == "startEvent" and (parent is None or _local(parent.tag)[1] != "process"):
        return (
            "een signaalstart werkt alleen op het hoogste niveau van een proces (niet in een "
            "subproces)"
        )
    return None


def _link_name(event: etree._Element) -> str | None:
    definition = _child(event, "linkEventDefinition")
    return None if definition is None else (definition.get("name") or event.get("name"))


def _link_problem(element: etree._Element, name: str) -> str | None:
    if name not in ("intermediateThrowEvent", "intermediateCatchEvent"):
        return "een link hoort op een tussengebeurtenis (gooien en vangen)"
    link = _link_name(element)
    if not link:
        return "een link-gebeurtenis zonder naam; geef gooier en vanger dezelfde naam"
    scope = element.getparent()
    catches = [
        c
        for c in scope.iterchildren(f"{{{BPMN_NS}}}intermediateCatchEvent")
        if _link_name(c) == link
    ]
    flows = list(scope.iterchildren(f"{{{BPMN_NS}}}sequenceFlow"))
    if name == "intermediateThrowEvent":
        if len(catches) != 1:
            return (
                f"link {link!r} heeft {len(catches)} vangende link-gebeurtenissen in dit "
                "(deel)proces; er moet er precies één zijn"
            )
        if any(f.get("sourceRef") == element.get("id") for f in flows):
            return "een gooiende link-gebeurtenis heeft geen uitgaande flow; haal hem weg"
    else:
        if len(catches) > 1:
            return f"link {link!r} wordt meer dan eens gevangen in dit (deel)proces"
        if any(f.get("targetRef") == element.get("id") for f in flows):
            return "een vangende link-gebeurtenis heeft geen inkomende flow; haal hem weg"
    return None


def _event_targets(gateway: etree._Element) -> list[tuple[etree._Element, etree._Element | None]]:
    scope = gateway.getparent()
    ids = {c.get("id"): c for c in scope.iterchildren() if isinstance(c.tag, str)}
    return [
        (flow, ids.get(flow.get("targetRef")))
        for flow in scope.iterchildren(f"{{{BPMN_NS}}}sequenceFlow")
        if flow.get("sourceRef") == gateway.get("id")
    ]


def _event_kind(target: etree._Element | None) -> str | None:
    """'message', 'timer', 'signal' or 'conditional' for what may follow an event-based
    gateway, else None."""
    if target is None:
        return None
    tag = _local(target.tag)[1]
    if tag == "receiveTask":
        return "message" if target.get("messageRef") else None
    if tag != "intermediateCatchEvent":
        return None
    kinds = _definitions(target)
    if kinds == ["messageEventDefinition"]:
        return "message"
    if kinds == ["timerEventDefinition"]:
        return "timer"
    if kinds == ["signalEventDefinition"]:
        return "signal"
    if kinds == ["conditionalEventDefinition"]:
        return "conditional"
    return None


def _event_gateway_problem(gateway: etree._Element) -> str | None:
    if gateway.get("eventGatewayType", "Exclusive") != "Exclusive" or gateway.get(
        "instantiate"
    ) in ("true", "1"):
        return "alleen een exclusieve event-gebaseerde gateway midden in het proces kan draaien"
    targets = _event_targets(gateway)
    if len(targets) < 2:
        return "een event-gebaseerde gateway heeft minstens twee uitgaande flows nodig"
    scope = gateway.getparent()
    flows = list(scope.iterchildren(f"{{{BPMN_NS}}}sequenceFlow"))
    boundaries = {b.get("attachedToRef") for b in scope.iterchildren(f"{{{BPMN_NS}}}boundaryEvent")}
    messages: list[str | None] = []
    signals: list[str | None] = []
    for flow, target in targets:
        kind = _event_kind(target)
        if kind is None:
            return (
                "na een event-gebaseerde gateway komen alleen berichtvangers, timers, "
                "signaalvangers, voorwaardelijke gebeurtenissen of receive tasks"
            )
        assert target is not None
        if flow.find(f"{{{BPMN_NS}}}conditionExpression") is not None:
            return "de flows uit een event-gebaseerde gateway hebben geen voorwaarde"
        if sum(1 for f in flows if f.get("targetRef") == target.get("id")) != 1:
            return f"{target.get('id')!r} na de gateway heeft alleen de flow uit de gateway"
        if target.get("id") in boundaries:
            return f"{target.get('id')!r} na de gateway heeft geen grensgebeurtenissen"
        if kind == "message":
            definition = _child(target, "messageEventDefinition")
            messages.append(
                target.get("messageRef") if definition is None else definition.get("messageRef")
            )
        if kind == "signal":
            definition = _child(target, "signalEventDefinition")
            signals.append(None if definition is None else definition.get("signalRef"))
    if len(set(messages)) != len(messages):
        return "twee takken van de gateway wachten op hetzelfde bericht"
    if len(set(signals)) != len(signals):
        return (
            "twee takken van de gateway wachten op hetzelfde signaal; een signaal bereikt ze "
            "allebei, dus wacht er één keer op en kies daarna met een exclusieve gateway"
        )
    return None


def rewrite_event_gateways(root: etree._Element) -> None:
    """An event-based gateway as the pattern the engine runs reliably, in the tree the parser
    sees (the stored diagram is unchanged): the gateway becomes a receive task waiting for
    its first message branch, which follows as a plain event; every other branch becomes an
    interrupting boundary event on it, with its own id, definition and outgoing flows. The
    first event to come wins and cancels the others, as in Camunda 7. Without a message
    branch the receive task waits for nothing itself (`parser.EventGatewayWait`) and every
    branch becomes a boundary event."""
    for gateway in list(root.iter(f"{{{BPMN_NS}}}eventBasedGateway")):
        targets = _event_targets(gateway)
        anchor_flow, anchor = next(
            ((f, t) for f, t in targets if _event_kind(t) == "message" and t is not None),
            (None, None),
        )
        receive = etree.Element(f"{{{BPMN_NS}}}receiveTask")
        for attribute in ("id", "name"):
            if gateway.get(attribute) is not None:
                receive.set(attribute, gateway.get(attribute))
        receive.sourceline = gateway.sourceline
        gateway.getparent().replace(gateway, receive)
        if anchor is None:
            receive.set(GATEWAY_WAIT, "true")
        else:
            definition = _child(anchor, "messageEventDefinition")
            receive.set(
                "messageRef",
                anchor.get("messageRef") if definition is None else definition.get("messageRef"),
            )
            extension = _child(anchor, "extensionElements")
            if extension is not None:  # the correlation key waits with the receive task
                receive.append(deepcopy(extension))
            # The anchor stays, as a plain event the token passes.
            plain = etree.Element(f"{{{BPMN_NS}}}intermediateCatchEvent")
            for attribute in ("id", "name"):
                if anchor.get(attribute) is not None:
                    plain.set(attribute, anchor.get(attribute))
            plain.sourceline = anchor.sourceline
            anchor.getparent().replace(anchor, plain)
        for flow, target in targets:
            if flow is anchor_flow or target is None:
                continue
            boundary = etree.Element(f"{{{BPMN_NS}}}boundaryEvent")
            boundary.set("id", target.get("id"))
            if target.get("name") is not None:
                boundary.set("name", target.get("name"))
            boundary.set("attachedToRef", receive.get("id"))
            boundary.set("cancelActivity", "true")
            for child in target:
                if isinstance(child.tag, str) and _local(child.tag)[1] in (
                    "extensionElements",
                    "messageEventDefinition",
                    "timerEventDefinition",
                    "signalEventDefinition",
                    "conditionalEventDefinition",
                ):
                    boundary.append(deepcopy(child))
            if _local(target.tag)[1] == "receiveTask":
                message = etree.SubElement(boundary, f"{{{BPMN_NS}}}messageEventDefinition")
                message.set("messageRef", target.get("messageRef"))
            boundary.sourceline = target.sourceline
            target.getparent().replace(target, boundary)
            flow.getparent().remove(flow)


def prepare(root: etree._Element) -> None:
    """The tree the parser and the data-flow analysis see: what Camunda 7 runs and
    SpiffWorkflow would not, rewritten into what it runs as Camunda does."""
    name_anonymous_flows(root)
    resolve_links(root)
    rewrite_event_gateways(root)


def resolve_links(root: etree._Element) -> None:
    """Link events as Camunda 7 runs them, in the tree the parser sees (the stored diagram
    is unchanged): a sequence flow from each link throw to the catch of the same name in
    its scope, and both become plain intermediate events."""
    taken = {e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
    definitions = list(root.iter(f"{{{BPMN_NS}}}linkEventDefinition"))
    for definition in definitions:
        throw = definition.getparent()
        if _local(throw.tag)[1] != "intermediateThrowEvent":
            continue
        scope = throw.getparent()
        link = _link_name(throw)
        catch = next(
            (
                c
                for c in scope.iterchildren(f"{{{BPMN_NS}}}intermediateCatchEvent")
                if _link_name(c) == link
            ),
            None,
        )
        if catch is None or not throw.get("id") or not catch.get("id"):
            continue
        flow_id, number = f"link_{throw.get('id')}", 1
        while flow_id in taken:
            number += 1
            flow_id = f"link_{throw.get('id')}_{number}"
        taken.add(flow_id)
        flow = etree.SubElement(scope, f"{{{BPMN_NS}}}sequenceFlow")
        flow.set("id", flow_id)
        flow.set("sourceRef", throw.get("id"))
        flow.set("targetRef", catch.get("id"))
    for definition in definitions:
        definition.getparent().remove(definition)


_GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway"}


def _flow_problems(
    root: etree._Element, skip: set[etree._Element]
) -> list[tuple[etree._Element, str]]:
    """Sequence flows and references SpiffWorkflow would run differently or not at all."""
    found: list[tuple[etree._Element, str]] = []
    ids = {e.get("id"): e for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
    outgoing: dict[str, list[etree._Element]] = {}
    for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        if any(a in skip for a in flow.iterancestors()):
            continue
        outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
    for source_id, flows in outgoing.items():
        source = ids.get(source_id)
        if source is None:
            found.append((flows[0], f"sourceRef {source_id!r} bestaat niet"))
            continue
        kind = _local(source.tag)[1]
        if kind in _GATEWAYS:
            if kind in ("exclusiveGateway", "inclusiveGateway") and len(flows) > 1:
                for flow in flows:
                    default = source.get("default")
                    unconditional = flow.find(f"{{{BPMN_NS}}}conditionExpression") is None
                    if unconditional and (flow.get("id") is None or flow.get("id") != default):
                        found.append(
                            (
                                flow,
                                "een uitgaande flow van een gateway zonder voorwaarde die niet "
                                "de default is: geef hem een voorwaarde of maak hem de default",
                            )
                        )
            continue
        if len(flows) > 1:
            found.append(
                (
                    source,
                    "meer dan één uitgaande flow uit een activiteit of gebeurtenis (impliciete "
                    "splitsing) wordt niet ondersteund; zet er een parallelle of exclusieve "
                    "gateway achter",
                )
            )
        for flow in flows:
            if flow.find(f"{{{BPMN_NS}}}conditionExpression") is not None:
                found.append(
                    (
                        flow,
                        "een voorwaarde op een flow uit een activiteit wordt niet ondersteund; "
                        "zet de voorwaarde op de uitgang van een exclusieve gateway",
                    )
                )
    for reference, tag, what in (
        ("errorRef", "error", "fout (bpmn:error)"),
        ("messageRef", "message", "bericht (bpmn:message)"),
        ("signalRef", "signal", "signaal (bpmn:signal)"),
    ):
        for element in root.iter():
            if not isinstance(element.tag, str) or any(a in skip for a in element.iterancestors()):
                continue
            value = element.get(reference)
            if value is None or _local(element.tag)[0] != BPMN_NS:
                continue
            target = ids.get(value)
            if target is None or _local(target.tag)[1] != tag:
                found.append(
                    (element, f"{reference} {value!r} verwijst naar geen {what}; definieer het")
                )
    return found


def _error_code(root: etree._Element, ref: str | None) -> str | None:
    found = root.xpath("//bpmn:error[@id=$id]", id=ref or "", namespaces={"bpmn": BPMN_NS})
    return found[0].get("errorCode") if found else None


def thrown_error_code(end: etree._Element) -> str | None:
    """The errorCode an error end event throws (None when it names no error)."""
    definition = end.find(f"{{{BPMN_NS}}}errorEventDefinition")
    ref = definition.get("errorRef") if definition is not None else None
    return _error_code(end.getroottree().getroot(), ref)


def catches_error(host: etree._Element, code: str | None) -> bool:
    """Whether an error boundary event on `host` (a sub-process or call activity) catches
    the code: one without errorRef catches every error."""
    root = host.getroottree().getroot()
    for boundary in host.getparent().iterchildren(f"{{{BPMN_NS}}}boundaryEvent"):
        if boundary.get("attachedToRef") != host.get("id"):
            continue
        caught = boundary.find(f"{{{BPMN_NS}}}errorEventDefinition")
        if caught is None:
            continue
        if not caught.get("errorRef") or _error_code(root, caught.get("errorRef")) == code:
            return True
    return False


def event_subprocesses(scope: etree._Element) -> list[etree._Element]:
    """The event sub-processes directly in a process or sub-process."""
    return [
        child
        for child in scope.iterchildren(f"{{{BPMN_NS}}}subProcess")
        if child.get("triggeredByEvent") in ("true", "1")
    ]


def event_subprocess_catches(scope: etree._Element, code: str | None) -> bool:
    """Whether an error event sub-process of `scope` catches the code (one without
    errorRef catches every error)."""
    root = scope.getroottree().getroot()
    for sub in event_subprocesses(scope):
        for start in sub.iterchildren(f"{{{BPMN_NS}}}startEvent"):
            caught = _child(start, "errorEventDefinition")
            if caught is not None and (
                not caught.get("errorRef") or _error_code(root, caught.get("errorRef")) == code
            ):
                return True
    return False


EVENT_START_KINDS = (
    "timerEventDefinition",
    "messageEventDefinition",
    "signalEventDefinition",
    "errorEventDefinition",
)


def _event_subprocess_start_problem(element: etree._Element, kind: str | None) -> str | None:
    """The start event of an event sub-process (app/engine/event_subprocess.py)."""
    non_interrupting = element.get("isInterrupting") in ("false", "0")
    if kind is None:
        return (
            "een event-subproces start alleen op een gebeurtenis; geef de start een timer, "
            "bericht, signaal of fout"
        )
    if kind == "conditionalEventDefinition":
        return (
            "een voorwaardelijke start van een event-subproces wordt niet ondersteund; gebruik "
            "een bericht- of signaalstart, of een exclusieve gateway na de taak die de gegevens "
            "wijzigt"
        )
    if kind not in EVENT_START_KINDS:
        return (
            "een event-subproces start op een timer, een bericht, een signaal of een fout; "
            "escalatie en compensatie worden niet ondersteund: gebruik een fout of een signaal"
        )
    if kind == "errorEventDefinition" and non_interrupting:
        return "een foutstart onderbreekt altijd; zet isInterrupting niet op false"
    if kind == "timerEventDefinition":
        cycle = element.find(f".//{{{BPMN_NS}}}timeCycle")
        if cycle is not None and not non_interrupting:
            return (
                "een onderbrekende herhalende timer vuurt maar één keer; gebruik timeDuration "
                'of timeDate, of zet isInterrupting="false"'
            )
    if kind == "signalEventDefinition" and not _child(element, kind).get("signalRef"):
        return (
            "een signaalstart van een event-subproces zonder signalRef; kies een signaal "
            "(bpmn:signal met een naam)"
        )
    if kind == "messageEventDefinition" and not _child(element, kind).get("messageRef"):
        return (
            "een berichtstart van een event-subproces zonder messageRef; kies een bericht "
            "(bpmn:message met een naam)"
        )
    return None


def _event_subprocess_problem(element: etree._Element) -> str | None:
    parent = element.getparent()
    if (
        parent is not None
        and _local(parent.tag)[1] == "subProcess"
        and parent.get("triggeredByEvent") in ("true", "1")
    ):
        # Tried (tests/engine/test_event_subprocess_inside.py): it would listen from the
        # moment its parent listens, not only once the parent fired, as in Camunda 7.
        return (
            "een event-subproces in een event-subproces wordt niet ondersteund (het zou al "
            "luisteren voordat het event-subproces eromheen start); zet de taken van het "
            "event-subproces in een ingebed subproces en het geneste event-subproces daarin, "
            "of gebruik een grensgebeurtenis op de taak"
        )
    starts = list(element.iterchildren(f"{{{BPMN_NS}}}startEvent"))
    if len(starts) != 1:
        return (
            f"een event-subproces heeft precies één startgebeurtenis nodig (gevonden: "
            f"{len(starts)}); teken voor elke gebeurtenis een eigen event-subproces"
        )
    flows = element.getparent().iterchildren(f"{{{BPMN_NS}}}sequenceFlow")
    if any(element.get("id") in (f.get("sourceRef"), f.get("targetRef")) for f in flows):
        return (
            "een event-subproces heeft geen in- of uitgaande sequentiestroom; het start op "
            "zijn eigen startgebeurtenis: haal de stroom weg"
        )
    root = element.getroottree().getroot()
    if root.xpath(
        "//bpmn:boundaryEvent[@attachedToRef=$id]",
        id=element.get("id"),
        namespaces={"bpmn": BPMN_NS},
    ):
        return (
            "een grensgebeurtenis op een event-subproces wordt niet ondersteund; zet een "
            "event-subproces met die gebeurtenis in het scope zelf"
        )
    return None


def escaping_errors(process: etree._Element) -> list[etree._Element]:
    """Error end events inside sub-processes of `process` that no boundary on their own
    sub-process catches: their error leaves that sub-process."""
    escaping = []
    for end in process.iter(f"{{{BPMN_NS}}}endEvent"):
        inner = end.getparent()
        if end.find(f"{{{BPMN_NS}}}errorEventDefinition") is None:
            continue
        code = thrown_error_code(end)
        if (
            _local(inner.tag)[1] == "subProcess"
            and not catches_error(inner, code)
            and not event_subprocess_catches(inner, code)
        ):
            escaping.append(end)
    return escaping


ERROR_LEAVES_SCOPE = (
    "de fout verlaat subproces '{inner}' zonder dat een grensgebeurtenis op dat subproces hem "
    "vangt; pas {catcher} vangt hem, en dan liep het pad na '{inner}' al (een service task "
    "daar zou worden aangeroepen). Zet de fout-grensgebeurtenis op het subproces waarin de fout "
    "gegooid wordt, of gooi hem daar opnieuw met een fout-eindgebeurtenis"
)


def _error_passes_a_scope(end: etree._Element) -> str | None:
    """An error end event whose error the boundary of an outer sub-process catches, but no
    boundary of its own sub-process: Camunda 7 ends the inner sub-process abnormally, while
    SpiffWorkflow 3.2 completes it and runs the path after it first (a service task there
    would be called). Caught on its own sub-process, or by nobody (a none end, as in
    Camunda), it runs as Camunda runs it. (A call activity catching it from another file:
    `app.engine.deploy`.)"""
    inner = end.getparent()
    code = thrown_error_code(end)
    if (
        _local(inner.tag)[1] != "subProcess"
        or catches_error(inner, code)
        or event_subprocess_catches(inner, code)
    ):
        return None
    outer = inner.getparent()
    if inner.get("triggeredByEvent") in ("true", "1"):
        # Thrown in an event sub-process: its scope is the (sub-)process around it, whose
        # error event sub-process or boundary catches it there (an event sub-process has
        # no path after it). Otherwise the error leaves that sub-process.
        if catches_error(outer, code) or event_subprocess_catches(outer, code):
            return None
        if _local(outer.tag)[1] != "subProcess":
            return None
        inner, outer = outer, outer.getparent()
    while outer is not None and _local(outer.tag)[1] == "subProcess":
        if event_subprocess_catches(outer, code):
            return None  # the scope it enters catches it first
        if catches_error(outer, code):
            return ERROR_LEAVES_SCOPE.format(
                inner=inner.get("id"), catcher=f"de grensgebeurtenis op '{outer.get('id')}'"
            )
        outer = outer.getparent()
    return None


# Activities a multi-instance body runs on (app/engine/multi_instance.py).
MULTI_INSTANCE_HOSTS = {"userTask", "serviceTask", "sendTask", "scriptTask", "task", "manualTask"}
_LOOP_VARIABLES = ("loopCounter", "nrOfInstances", "nrOfActiveInstances", "nrOfCompletedInstances")


def _multi_instance_problem(element: etree._Element) -> str | None:
    host = _local(element.getparent().tag)[1]
    if host not in MULTI_INSTANCE_HOSTS:
        return (
            f"multi-instance op een bpmn:{host} wordt niet ondersteund; zet de "
            "meervoudigheid op de user task of service task zelf, of herhaal met een lus "
            "via een exclusieve gateway"
        )
    if any(
        isinstance(child.tag, str) and not ELEMENTS.get(_local(child.tag)[1], Rule(False, "")).runs
        for child in element
    ):
        return None  # the refused part (loopDataInputRef, ...) says what to use instead
    collection = element.get(f"{{{CAMUNDA_NS}}}collection")
    variable = element.get(f"{{{CAMUNDA_NS}}}elementVariable")
    cardinality = _child(element, "loopCardinality")
    if collection is None and cardinality is None:
        return (
            "multi-instance zonder camunda:collection of loopCardinality: geef een lijst "
            "(camunda:collection) of een aantal (loopCardinality)"
        )
    if collection is not None and cardinality is not None:
        return (
            "multi-instance met zowel camunda:collection als loopCardinality: kies er één "
            "(de lijst bepaalt het aantal al)"
        )
    if variable is not None and collection is None:
        return (
            "camunda:elementVariable zonder camunda:collection krijgt geen waarde; gebruik "
            "loopCounter, of geef een camunda:collection"
        )
    if collection is not None and "${" not in collection and not collection.strip().isidentifier():
        return (
            f"camunda:collection {collection!r} is geen veldnaam en geen ${{…}}-expressie; "
            "noem het lijstveld of schrijf ${…}"
        )
    if variable is not None and (not variable.isidentifier() or variable in _LOOP_VARIABLES):
        return (
            f"camunda:elementVariable {variable!r} is geen bruikbare variabelenaam (en geen "
            "loopCounter of nrOf…); kies een eigen naam"
        )
    for part in ("loopCardinality", "completionCondition"):
        found = _child(element, part)
        if found is not None and not (found.text or "").strip():
            return f"bpmn:{part} is leeg; vul een expressie in of laat het weg"
    return None


def _child(element: etree._Element, name: str) -> etree._Element | None:
    return element.find(f"{{{BPMN_NS}}}{name}")


def _definitions(element: etree._Element) -> list[str]:
    return [
        _local(child.tag)[1]
        for child in element
        if isinstance(child.tag, str) and child.tag.endswith("EventDefinition")
    ]


# The called process is part of the same case, so it has the caller's business key already.
_SAME_BUSINESS_KEY = ("#{execution.processBusinessKey}", "${execution.processBusinessKey}")


def _call_mapping_problem(element: etree._Element, name: str) -> str | None:
    """camunda:in/out: `variables="all"`, or a target with one source (a variable or an
    expression); on camunda:in also the caller's own business key."""
    attributes = set(element.attrib)
    if attributes == {"variables"}:
        return None  # its value is checked with the attribute values
    if name == "in" and attributes == {"businessKey"}:
        if element.get("businessKey") in _SAME_BUSINESS_KEY:
            return None
        return (
            "een ander businessKey dan dat van de aanroeper kan niet: het aangeroepen proces "
            "hoort bij dezelfde zaak; laat businessKey weg"
        )
    if "local" in attributes:
        return "camunda:local wordt niet ondersteund: variabelen hebben één bereik; laat het weg"
    sources = attributes & {"source", "sourceExpression"}
    if attributes - {"source", "sourceExpression", "target"} or len(sources) != 1:
        return (
            f'camunda:{name} is variables="all" of een target met precies één source of '
            "sourceExpression"
        )
    target = element.get("target") or ""
    if not target.isidentifier() or target.startswith("_"):
        return f"camunda:{name} target {target!r} is geen geldige variabelenaam"
    if "source" in sources and not (element.get("source") or "").isidentifier():
        return f"camunda:{name} source {element.get('source')!r} is geen variabelenaam"
    if "sourceExpression" in sources and not (element.get("sourceExpression") or "").strip():
        return f"camunda:{name} sourceExpression is leeg"
    return None


def _context_problem(element: etree._Element, ns: str, name: str) -> str | None:
    if ns == CAMUNDA_NS:
        if name == "inputOutput":
            host = element.getparent().getparent()
            hns, hname = _local(host.tag)
            if (
                hname not in ("serviceTask", "sendTask")
                or host.get(f"{{{CAMUNDA_NS}}}type") != "external"
            ):
                return (
                    "camunda:inputOutput werkt alleen op een externe service/send task; "
                    "op andere elementen: zet de waarde in een scriptTask"
                )
        if name in ("in", "out"):
            host = element.getparent().getparent()
            if _local(host.tag)[1] != "callActivity":
                return (
                    f"camunda:{name} werkt alleen op een call activity; variabelen meegeven "
                    "met een signaal uit een diagram wordt niet ondersteund (stuur het signaal "
                    "met gegevens via de API of de CLI, of lees ze in de ontvanger zelf)"
                )
            return _call_mapping_problem(element, name)
        return None
    if name == "multiInstanceLoopCharacteristics":
        return _multi_instance_problem(element)
    definitions = _definitions(element)
    parent = element.getparent()
    in_event_subprocess = (
        parent is not None
        and _local(parent.tag)[1] == "subProcess"
        and parent.get("triggeredByEvent") in ("true", "1")
    )
    if any(not ELEMENTS.get(d, Rule(False, "")).runs for d in definitions):
        return None  # the definition itself is refused, with its own reason
    if len(definitions) > 1:
        return "een gebeurtenis met meer dan één definitie wordt niet ondersteund; teken ze apart"
    kind = definitions[0] if definitions else None
    if name == "startEvent" and in_event_subprocess:
        return _event_subprocess_start_problem(element, kind)
    if name == "startEvent" and kind == "conditionalEventDefinition":
        return (
            "een proces met een voorwaardelijke start wordt niet ondersteund: Camunda 7 start "
            "het alleen als een programma de voorwaarden laat evalueren "
            "(createConditionEvaluation), en die aanroep heeft Stroom niet; start het proces "
            "via de API, de CLI of een signaal"
        )
    if kind == "signalEventDefinition":
        problem = _signal_problem(element, name, parent)
        if problem:
            return problem
    if name == "startEvent":
        if kind == "signalEventDefinition" and _local(parent.tag)[1] == "process":
            pass
        elif kind is not None:
            return (
                "een proces start met een gewone startgebeurtenis (via API, CLI of intake) of "
                "op een signaal; een start op een timer of bericht wordt niet ondersteund"
            )
    if name == "endEvent" and kind not in (
        None,
        "terminateEventDefinition",
        "errorEventDefinition",
        "signalEventDefinition",
    ):
        return (
            "een eindgebeurtenis die een bericht verstuurt wordt niet ondersteund; "
            'gebruik een service task met camunda:type="external" die het bericht verstuurt'
        )
    if (
        name == "endEvent"
        and kind == "errorEventDefinition"
        and _local(parent.tag)[1] == "process"
        and not event_subprocess_catches(parent, thrown_error_code(element))
    ):
        return (
            "een fout-eindgebeurtenis op het hoogste niveau heeft niemand die hem vangt; "
            "gebruik een gewone of terminate-eindgebeurtenis"
        )
    if name == "endEvent" and kind == "errorEventDefinition":
        problem = _error_passes_a_scope(element)
        if problem:
            return problem
    if kind == "linkEventDefinition":
        return _link_problem(element, name)
    if name == "intermediateThrowEvent" and kind not in (None, "signalEventDefinition"):
        return (
            "een tussengebeurtenis die een bericht of escalatie verstuurt wordt niet "
            'ondersteund; gebruik een service task met camunda:type="external"'
        )
    if name == "intermediateCatchEvent" and kind not in (
        "timerEventDefinition",
        "messageEventDefinition",
        "signalEventDefinition",
        "conditionalEventDefinition",
    ):
        return (
            "een tussengebeurtenis wacht alleen op een timer, een bericht, een signaal of een "
            "voorwaarde"
        )
    if name == "boundaryEvent":
        host_id = element.get("attachedToRef")
        host = element.getroottree().getroot().xpath("//*[@id=$id]", id=host_id)
        host_name = _local(host[0].tag)[1] if host else None
        if kind == "errorEventDefinition":
            external = (
                host_name in ("serviceTask", "sendTask")
                and host[0].get(f"{{{CAMUNDA_NS}}}type") == "external"
            )
            if host_name not in ("subProcess", "callActivity") and not external:
                return (
                    "een fout-grensgebeurtenis kan alleen vuren op een subproces of call "
                    "activity (een fout-eindgebeurtenis daarin gooit hem) of op een externe "
                    "service task (de handler gooit een BpmnError)"
                )
            if element.get("cancelActivity") in ("false", "0"):
                return (
                    "een fout-grensgebeurtenis onderbreekt altijd; zet cancelActivity niet op false"
                )
        elif kind not in (
            "timerEventDefinition",
            "messageEventDefinition",
            "signalEventDefinition",
            "conditionalEventDefinition",
        ):
            return (
                "een grensgebeurtenis vangt alleen een timer, een bericht, een signaal, een "
                "voorwaarde of een fout"
            )
        if kind == "timerEventDefinition":
            cycle = element.find(f".//{{{BPMN_NS}}}timeCycle")
            if cycle is not None and element.get("cancelActivity") not in ("false", "0"):
                return (
                    "een onderbrekende herhalende timer vuurt maar één keer; gebruik timeDuration "
                    'of timeDate, of zet cancelActivity="false"'
                )
    if name == "receiveTask" and not element.get("messageRef"):
        return (
            "een receive task zonder messageRef wacht in Camunda 7 op een trigger via de "
            "Java-API, die Stroom niet heeft; kies een bericht (messageRef)"
        )
    if name == "timeCycle":
        text = (element.text or "").strip()
        if text and not text.startswith(("R", "$", "#")) and " " in text:
            return (
                "CRON-uitdrukkingen worden niet ondersteund; gebruik een ISO-8601-herhaling "
                "zoals R/PT1H of R3/2026-01-01T09:00:00+01:00/P1D"
            )
    if name == "subProcess" and element.get("triggeredByEvent") in ("true", "1"):
        return _event_subprocess_problem(element)
    if name == "eventBasedGateway":
        return _event_gateway_problem(element)
    if name == "callActivity":
        if not element.get("calledElement"):
            return "een call activity zonder calledElement roept niets aan; noem het proces"
    if name in ("message", "error", "signal") and any(
        marker in (element.get("name") or "") + (element.get("errorCode") or "")
        for marker in ("${", "#{")
    ):
        return (
            "een naam of foutcode met een expressie wordt niet ondersteund; "
            + {
                "message": "gebruik een vaste naam (de correlatiesleutel mag een expressie zijn)",
                "error": "gebruik een vaste foutcode",
                "signal": "gebruik een vaste naam voor het signaal",
            }[name]
        )
    if name == "boundaryEvent" and kind == "messageEventDefinition":
        host_id, ref = element.get("attachedToRef"), _child(element, kind).get("messageRef")
        for other in element.getparent().iterchildren(f"{{{BPMN_NS}}}boundaryEvent"):
            if other is element:
                break
            definition = _child(other, kind)
            if (
                other.get("attachedToRef") == host_id
                and definition is not None
                and definition.get("messageRef") == ref
            ):
                return (
                    f"twee berichtgrensgebeurtenissen op {host_id!r} wachten op hetzelfde "
                    "bericht; Camunda 7 weigert dat ook: kies verschillende berichten"
                )
    if name == "errorEventDefinition" and (
        element.get(f"{{{CAMUNDA_NS}}}errorCodeVariable")
        or element.get(f"{{{CAMUNDA_NS}}}errorMessageVariable")
    ):
        host = parent.getparent() if parent is not None else None
        at_start = (
            parent is not None
            and _local(parent.tag)[1] == "startEvent"
            and host is not None
            and host.get("triggeredByEvent") in ("true", "1")
        )
        if (parent is None or _local(parent.tag)[1] != "boundaryEvent") and not at_start:
            return (
                "errorCodeVariable/errorMessageVariable werken alleen op een "
                "fout-grensgebeurtenis of de foutstart van een event-subproces"
            )
    if name == "scriptTask" and _child(element, "script") is None:
        return "een scriptTask zonder script; zet het Python-script in het diagram"
    return None


def name_anonymous_flows(root: etree._Element) -> None:
    """A sequence flow without an id is valid for Camunda 7 and runs there; SpiffWorkflow
    indexes flows by id and would drop it (the instance would wait for ever). It gets an id
    from its line, unique in the document."""
    taken = {e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
    for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        if flow.get("id"):
            continue
        base = f"sequenceFlow_line{flow.sourceline}"
        candidate, number = base, 1
        while candidate in taken:
            number += 1
            candidate = f"{base}_{number}"
        flow.set("id", candidate)
        taken.add(candidate)


# Rules that depend on where an element sits or on an attribute's value (`_context_problem`
# and PLAIN_ATTRIBUTE_VALUES), for the documentation.
CONTEXT_RULES: list[tuple[str, str]] = [
    (
        "startEvent met timer/bericht (proces)",
        "geweigerd: een proces start via API, CLI, intake of een signaal",
    ),
    (
        "startEvent met signaal (proces)",
        "draait: elk signaal met die naam start de nieuwste versie; een gewone start kiest de "
        "gewone startgebeurtenis (of de enige)",
    ),
    ("startEvent met signaal in een subproces", "geweigerd: alleen op procesniveau"),
    ("twee signaalstarts op hetzelfde signaal in één proces", "geweigerd (ook in Camunda 7)"),
    (
        "startEvent met timer/bericht/signaal/fout in een event-subproces (proces of ingebed "
        "subproces)",
        "draait: luistert zolang het scope actief is (timer vanaf de start van het scope, "
        "bericht gecorreleerd als elke berichtvang, signaal als broadcast, fout uit het scope "
        "met die foutcode of zonder code); start met de variabelen van nu",
    ),
    (
        "event-subproces onderbrekend (isInterrupting niet false)",
        "draait: annuleert alles wat in het scope actief is (taken, timers, abonnementen); "
        "het scope eindigt als het event-subproces eindigt",
    ),
    (
        "event-subproces niet-onderbrekend (isInterrupting=false)",
        "draait: loopt naast het werk, kan opnieuw starten (timeCycle, bericht, signaal); het "
        "scope wacht erop; wat het wijzigt wordt aan het eind samengevoegd",
    ),
    (
        "event-subproces met een gewone, voorwaardelijke, escalatie- of compensatiestart",
        "geweigerd: gebruik een timer, bericht, signaal of fout",
    ),
    ("event-subproces met foutstart isInterrupting=false", "geweigerd: een fout onderbreekt"),
    (
        "event-subproces met onderbrekende timeCycle",
        "geweigerd: vuurt maar één keer (gebruik timeDuration/timeDate of isInterrupting=false)",
    ),
    (
        "event-subproces met meer of minder dan één startgebeurtenis, met sequentiestromen "
        "of met een grensgebeurtenis",
        "geweigerd: één start per event-subproces, zonder stromen of grenzen",
    ),
    (
        "event-subproces in een event-subproces",
        "geweigerd: het zou al luisteren voordat het event-subproces eromheen start; zet de "
        "taken in een ingebed subproces met het geneste event-subproces daarin",
    ),
    (
        "fout in een event-subproces (fout-eindgebeurtenis of BpmnError van een handler)",
        "draait: gevangen door de scopes eromheen, zoals in Camunda 7: een fout-event-subproces "
        "van hetzelfde scope (ook terwijl een onderbrekend event-subproces loopt), de "
        "fout-grens van het subproces eromheen, verder naar buiten; nooit door het "
        "event-subproces waarin hij gegooid wordt (niemand: een fout-eindgebeurtenis eindigt "
        "als een gewone)",
    ),
    (
        "errorCodeVariable/errorMessageVariable op de foutstart van een event-subproces",
        "draait: zoals op een fout-grensgebeurtenis",
    ),
    ("endEvent met bericht/escalatie", "geweigerd: gebruik een externe service task"),
    (
        "endEvent of intermediateThrowEvent met signaal",
        "draait: broadcast aan alle wachtenden, in alle instanties, zonder variabelen; "
        "camunda:async verandert niets (zelfde transactie)",
    ),
    ("signaalgebeurtenis zonder signalRef", "geweigerd: kies een signaal"),
    (
        "camunda:in/out buiten een call activity (ook op een signaal)",
        "geweigerd: variabelen met een signaal alleen via API/CLI",
    ),
    (
        "fout-endEvent op procesniveau",
        "geweigerd: niemand vangt hem (tenzij een fout-event-subproces van het proces)",
    ),
    (
        "fout-endEvent die pas een grens van een buitenste subproces of van de aanroepende "
        "call activity vangt",
        "geweigerd: zet de grensgebeurtenis op het subproces waarin hij gegooid wordt",
    ),
    (
        "intermediateThrowEvent met bericht/escalatie",
        "geweigerd: gebruik een externe service task",
    ),
    ("intermediateCatchEvent anders dan timer/bericht/signaal/voorwaarde", "geweigerd"),
    (
        "intermediateCatchEvent of boundaryEvent met voorwaarde",
        "draait: geëvalueerd bij aankomst en na elke wijziging van de procesvariabelen; een "
        "niet-onderbrekende grens start een pad telkens als de voorwaarde na een wijziging "
        "waar is; variabelen die de taak zelf bij voltooien meegeeft, tellen voor haar eigen "
        "grensgebeurtenissen (zoals in Camunda 7)",
    ),
    (
        "startEvent met voorwaarde (proces)",
        "geweigerd: Camunda 7 start het alleen via createConditionEvaluation; start via API, "
        "CLI of signaal",
    ),
    (
        "startEvent met voorwaarde in een event-subproces",
        "geweigerd: gebruik een voorwaardelijke grensgebeurtenis op een subproces",
    ),
    (
        "boundaryEvent signaal",
        "draait: onderbrekend, of niet-onderbrekend (de taak blijft open)",
    ),
    (
        "boundaryEvent bericht of signaal, niet-onderbrekend",
        "draait: blijft luisteren zolang de activiteit loopt; elk bericht of signaal start een "
        "eigen pad, dat doorloopt als de activiteit klaar is",
    ),
    (
        "boundaryEvent fout op iets anders dan subProcess/callActivity/externe service task",
        "geweigerd: kan nooit vuren",
    ),
    (
        "boundaryEvent fout op een externe service task",
        "draait: de handler gooit BpmnError(code); deploy eist dat het topic die code declareert",
    ),
    ("boundaryEvent fout met cancelActivity=false", "geweigerd: een fout onderbreekt altijd"),
    ("boundaryEvent onderbrekende timeCycle", "geweigerd: vuurt maar één keer"),
    ("boundaryEvent niet-onderbrekende timeCycle", "draait: wat hij startte loopt door na de taak"),
    ("receiveTask zonder messageRef", "geweigerd: wacht nergens op"),
    ("receiveTask instantiate=true", "geweigerd: start via API of CLI"),
    ("timeCycle als CRON", "geweigerd: gebruik ISO 8601 R/…"),
    (
        "callActivity zonder camunda:in/out",
        "draait: er gaat niets heen of terug, zoals in Camunda 7; deploy weigert als het "
        "aangeroepen proces velden nodig heeft die camunda:in niet doorgeeft",
    ),
    (
        "camunda:in/out met target en source of sourceExpression",
        "draait: alleen die waarden gaan heen of terug (een ontbrekende source geeft null)",
    ),
    ("camunda:in businessKey", "draait alleen als dat van de aanroeper; anders geweigerd"),
    ("camunda:in/out local=true", "geweigerd: variabelen hebben één bereik"),
    ("camunda:inputOutput op iets anders dan een externe service/send task", "geweigerd"),
    ("scriptTask scriptFormat anders dan python", "geweigerd: herschrijf in Python"),
    ("camunda:script scriptFormat anders dan python", "geweigerd: herschrijf in Python"),
    ("conditionExpression language anders dan python/juel", "geweigerd"),
    ("camunda:type anders dan external", "geweigerd"),
    ("camunda:formKey/formRef op een startEvent", "geweigerd: startgegevens via API/CLI/intake"),
    ("camunda:-attribuut op een element waar het niets doet", "geweigerd: laat het weg"),
    ("isForCompensation=true", "geweigerd: compensatie wordt niet ondersteund"),
    ("bericht-, fout- of signaalnaam met ${…}", "geweigerd: gebruik een vaste naam"),
    ("twee berichtgrenzen met hetzelfde bericht op één activiteit", "geweigerd (ook in Camunda 7)"),
    (
        "meer dan één uitgaande flow uit een activiteit of gebeurtenis",
        "geweigerd: zet er een gateway achter",
    ),
    ("voorwaarde op een flow uit een activiteit", "geweigerd: zet hem op een exclusieve gateway"),
    ("flow uit een exclusieve/inclusieve gateway zonder voorwaarde, niet de default", "geweigerd"),
    ("errorRef/messageRef/signalRef naar iets dat niet bestaat", "geweigerd"),
    ("sequenceFlow zonder id", "draait: krijgt een id van zijn regel"),
    ("activiteit zonder uitgaande flow", "draait: impliciet einde van dat pad"),
    ("subProcess zonder endEvent", "draait: eindigt als het laatste pad eindigt"),
    ("proces met isExecutable=false", "niet uitgevoerd en niet beoordeeld"),
    (
        "multi-instance op een subProcess, callActivity, receiveTask of gateway",
        "geweigerd: zet de meervoudigheid op de user task of service task zelf",
    ),
    (
        "grensgebeurtenis (timer, bericht, signaal, voorwaarde, fout) op een "
        "multi-instance-activiteit",
        "draait: hoort bij de activiteit als geheel en vuurt één keer, niet per instantie; "
        "onderbrekend annuleert alle open instanties, niet-onderbrekend start één pad en de "
        "instanties blijven open; een BpmnError uit één instantie vangt de fout-grens van de "
        "activiteit",
    ),
    (
        "multi-instance zonder camunda:collection en loopCardinality, of met beide",
        "geweigerd: kies één van de twee",
    ),
    ("camunda:elementVariable zonder camunda:collection", "geweigerd: gebruik loopCounter"),
    (
        "formulierveld, handler-uitvoer of script dat de elementvariabele of loopCounter/nrOf… "
        "schrijft",
        "geweigerd: die zijn lokaal per instantie; de waarde zou verloren gaan",
    ),
    (
        "camunda:collection die geen veld van de gegevenscatalogus is",
        "geweigerd: neem het lijstveld op in de catalogus",
    ),
    (
        "camunda:asyncBefore/asyncAfter op multiInstanceLoopCharacteristics",
        "draait: geen effect nodig, elke stap wordt al apart opgeslagen",
    ),
    ("element of attribuut uit een onbekende namespace (zeebe:, …)", "geweigerd"),
]


def support_table() -> str:
    """The tables of docs/bpmn-support.md, generated from the rules above."""

    def rows(prefix: str, table: dict[str, Rule]) -> list[str]:
        return [
            f"| `{prefix}{name}` | {'runs' if rule.runs else '**refused**'} | {rule.note} |"
            for name, rule in sorted(table.items(), key=lambda item: item[0].lower())
        ]

    head = [
        "| name | rule | how it runs / why refused and what to use instead (as deploy says it) |",
        "|---|---|---|",
    ]
    parts = [
        "### BPMN elements",
        "",
        *head,
        *rows("bpmn:", ELEMENTS),
        "",
        "### camunda: attributes",
        "",
        *head,
        *rows("camunda:", CAMUNDA_ATTRIBUTES),
        "",
        "### camunda: extension elements",
        "",
        *head,
        *rows("camunda:", CAMUNDA_ELEMENTS),
        "",
        "### Rules that depend on place or value",
        "",
        "| case | rule |",
        "|---|---|",
        *(f"| {case} | {rule} |" for case, rule in CONTEXT_RULES),
    ]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    print(support_table(), end="")
