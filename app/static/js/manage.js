/*
 * Process monitoring pages: diagrams (bpmn-js NavigatedViewer) and charts (Chart.js).
 * No inline script (CSP): pages hand over their data in <script type="application/json">
 * blocks, named by data-* attributes.
 *
 * Diagram:
 *   <div data-stroom-diagram="diagram-gegevens" role="group" aria-label="..."></div>
 *   <script type="application/json" id="diagram-gegevens">
 *     {"xml": "<bpmn:definitions ...>",
 *      "markers": {"current": [ids], "done": [ids], "flows": [ids], "incidents": [ids]},
 *      "heat": {"element id": {"count": 3, "average": 2.5, "longest": 4, "target": "5 werkdagen", "late": false,
 *               "over": 0, "incidents": 0, "level": 1..4}}}
 *   </script>
 *   Buttons with data-stroom-zoom="in" | "out" | "fit" in the same <figure> zoom it. When the
 *   diagram is drawn the container gets data-stroom-ready="1" (tests wait for it).
 *
 * Chart:
 *   <canvas data-stroom-chart="grafiek-x" role="img" aria-label="..."></canvas>
 *   <script type="application/json" id="grafiek-x">{Chart.js configuration}</script>
 */
(function () {
  "use strict";

  function onReady(callback) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", callback);
    } else {
      callback();
    }
  }

  function readJson(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function announce(figure, message) {
    var status = figure && figure.querySelector(".stroom-diagram__status");
    if (status) {
      status.textContent = message;
    }
  }

  /* ---------------------------------------------------------------- diagrams */

  var MARKERS = {
    done: "stroom-marker--done",
    flows: "stroom-marker--flow",
    current: "stroom-marker--current",
    incidents: "stroom-marker--incident",
  };

  function addMarkers(viewer, markers) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    Object.keys(MARKERS).forEach(function (kind) {
      (markers[kind] || []).forEach(function (id) {
        if (registry.get(id)) {
          canvas.addMarker(id, MARKERS[kind]);
        }
      });
    });
  }

  function dutchNumber(value) {
    return String(value).replace(".", ",");
  }

  function addHeat(viewer, heat) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var overlays = viewer.get("overlays");
    Object.keys(heat || {}).forEach(function (id) {
      var spot = heat[id];
      if (!registry.get(id) || !spot.count) {
        return;
      }
      canvas.addMarker(id, "stroom-heat--" + spot.level);
      var late = spot.late;
      if (late) {
        canvas.addMarker(id, "stroom-heat--over");
      }
      var badge = document.createElement("div");
      badge.className = "stroom-heat-badge stroom-heat-badge--" + spot.level + (late ? " stroom-heat-badge--over" : "");
      var count = document.createElement("strong");
      count.textContent = String(spot.count);
      var detail = document.createElement("span");
      detail.textContent =
        " gem. " + dutchNumber(spot.average) + " wd" + (spot.target !== null ? " / norm " + spot.target : "");
      badge.appendChild(count);
      badge.appendChild(detail);
      if (spot.incidents) {
        var failing = document.createElement("span");
        failing.className = "stroom-heat-badge__incidents";
        failing.textContent = " · " + spot.incidents + " storing" + (spot.incidents === 1 ? "" : "en");
        badge.appendChild(failing);
      }
      overlays.add(id, "stroom-heat", { position: { bottom: -6, left: -6 }, html: badge });
    });
  }

  function initDiagram(container) {
    if (container.dataset.stroomReady) {
      return;
    }
    var figure = container.closest("figure");
    var data = readJson(container.dataset.stroomDiagram);
    if (!data || !data.xml) {
      announce(figure, "Er is geen diagram om te tonen.");
      return;
    }
    if (!window.BpmnJS) {
      announce(figure, "Het diagram kan niet worden getoond: de viewer is niet geladen.");
      return;
    }
    var viewer = new window.BpmnJS({ container: container });
    viewer
      .importXML(data.xml)
      .then(function () {
        var canvas = viewer.get("canvas");
        fit(canvas);
        addMarkers(viewer, data.markers || {});
        addHeat(viewer, data.heat);
        container.dataset.stroomReady = "1";
        wireZoom(figure, canvas);
        refitOnResize(container, viewer);
      })
      .catch(function (error) {
        var noDiagram = /no diagram to display/i.test(String(error && error.message));
        announce(
          figure,
          noDiagram
            ? "Dit procesdiagram heeft geen tekening (BPMN DI); de tabellen op deze pagina geven de gegevens."
            : "Het diagram kan niet worden getoond. De tabellen op deze pagina geven de gegevens."
        );
        container.dataset.stroomReady = "fout";
      });
  }

  // A large process fitted into the page would be too small to read: below this zoom, show
  // it at this size from its start and let the reader pan (the navigated viewer).
  var MIN_ZOOM = 0.45;

  function fit(canvas) {
    canvas.zoom("fit-viewport", "auto");
    if (canvas.zoom() < MIN_ZOOM) {
      // Too small to read: show the start of the process (top left) at the minimum zoom.
      var box = canvas.viewbox();
      canvas.viewbox({
        x: box.inner.x - 20,
        y: box.inner.y - 20,
        width: box.outer.width / MIN_ZOOM,
        height: box.outer.height / MIN_ZOOM,
      });
    }
  }

  // A window turned or resized: the diagram is fitted again to its new box, unless the
  // reader has zoomed or panned since the last fit (then their view stays).
  function refitOnResize(container, viewer) {
    if (!window.ResizeObserver) {
      return;
    }
    var canvas = viewer.get("canvas");
    var moved = false;
    var fitting = false;
    var pending = false;
    var width = container.clientWidth;
    var height = container.clientHeight;
    // "changing" is fired at once (the "changed" after it may be deferred).
    viewer.on("canvas.viewbox.changing", function () {
      if (!fitting) {
        moved = true;
      }
    });
    container.addEventListener("stroom:fitted", function () {
      moved = false;
    });
    new window.ResizeObserver(function () {
      if (pending || (container.clientWidth === width && container.clientHeight === height)) {
        return;
      }
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        width = container.clientWidth;
        height = container.clientHeight;
        canvas.resized();
        if (!moved) {
          fitting = true;
          fit(canvas);
          fitting = false;
        }
      });
    }).observe(container);
  }

  function wireZoom(figure, canvas) {
    if (!figure) {
      return;
    }
    Array.prototype.forEach.call(figure.querySelectorAll("[data-stroom-zoom]"), function (button) {
      button.addEventListener("click", function () {
        var how = button.dataset.stroomZoom;
        if (how === "fit") {
          fit(canvas);
          var container = figure.querySelector("[data-stroom-diagram]");
          if (container) {
            container.dispatchEvent(new CustomEvent("stroom:fitted"));
          }
        } else {
          canvas.zoom(canvas.zoom() * (how === "in" ? 1.25 : 0.8), "auto");
        }
      });
    });
  }

  /* ------------------------------------------------------------------ charts */

  function initChart(canvas) {
    if (canvas.dataset.stroomReady || !window.Chart) {
      return;
    }
    var config = readJson(canvas.dataset.stroomChart);
    if (!config) {
      return;
    }
    config.options = config.options || {};
    config.options.animation = false;
    config.options.responsive = true;
    config.options.maintainAspectRatio = false;
    config.options.plugins = config.options.plugins || {};
    config.options.plugins.legend = { position: "bottom" };
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    window.Chart.defaults.color = "#1a1a1a";
    new window.Chart(canvas, config);
    canvas.dataset.stroomReady = "1";
  }

  onReady(function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-stroom-diagram]"), initDiagram);
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-stroom-chart]"), initChart);
  });
})();
