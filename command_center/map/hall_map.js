// The command hall's live layers on the Leaflet map. Python sends batches through
// hall.apply(batch) at most every 50 ms; clicks and drawn polygons go back through the
// Qt WebChannel object "bridge". Everything here is local: no request leaves the machine.
"use strict";

window.hall = (function () {
  const LEVEL_COLOURS = { 1: "#ff2d2d", 2: "#ff8c1a", 3: "#ffd60a", 4: "#3b82f6" };
  const state = {
    map: null,
    bridge: null,
    units: new Map(),
    incidents: new Map(),
    zones: new Map(),
    resources: new Map(),
    warnings: new Map(),
    layers: {},
    frames: [],
    applied: 0,
    lastApplyMs: 0,
    picking: false,
  };

  function esc(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({
      "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
    })[c]);
  }

  function send(method, ...args) {
    if (state.bridge && state.bridge[method]) state.bridge[method](...args);
  }

  function unitIcon(u) {
    const [, , , type, heading, callsign, stale] = u;
    const cls = "hall-unit hall-unit-" + esc(type || "other") + (stale ? " hall-stale" : "");
    const rot = heading == null ? "" : `style="transform: rotate(${Number(heading)}deg)"`;
    const arrow = heading == null ? "●" : "▲";
    return L.divIcon({
      className: "hall-unit-icon",
      html: `<div class="${cls}"><span class="hall-arrow" ${rot}>${arrow}</span>` +
        `<span class="hall-callsign">${esc(callsign)}</span></div>`,
      iconSize: [18, 18],
      iconAnchor: [9, 9],
    });
  }

  function init(map) {
    state.map = map;
    // No tile layer may be present (the vector basemap): the clusters need a zoom range.
    map.setMinZoom(6);
    map.setMaxZoom(18);
    map.getContainer().style.background = "#0b0f14";
    state.layers.units = L.markerClusterGroup({
      disableClusteringAtZoom: 12, chunkedLoading: true, showCoverageOnHover: false,
      maxClusterRadius: 50,
    }).addTo(map);
    state.layers.incidents = L.markerClusterGroup({
      disableClusteringAtZoom: 11, chunkedLoading: true, showCoverageOnHover: false,
      iconCreateFunction: (cluster) => L.divIcon({
        className: "hall-incident-cluster",
        html: `<div>${cluster.getChildCount()}</div>`, iconSize: [34, 34],
      }),
    }).addTo(map);
    state.layers.zones = L.featureGroup().addTo(map);
    state.layers.warnings = L.featureGroup().addTo(map);
    state.layers.resources = L.markerClusterGroup({
      disableClusteringAtZoom: 11, chunkedLoading: true, showCoverageOnHover: false,
      maxClusterRadius: 40,
      iconCreateFunction: (cluster) => L.divIcon({
        className: "hall-resource-cluster",
        html: `<div>${cluster.getChildCount()}</div>`, iconSize: [28, 28],
      }),
    }).addTo(map);
    state.layers.drawn = L.featureGroup().addTo(map);
    const draw = new L.Control.Draw({
      position: "topleft",
      draw: {
        polygon: { allowIntersection: false, showArea: true,
                   shapeOptions: { color: "#facc15", weight: 3 } },
        polyline: false, rectangle: false, circle: false, marker: false, circlemarker: false,
      },
      edit: { featureGroup: state.layers.drawn, remove: true, edit: false },
    });
    map.addControl(draw);
    map.on(L.Draw.Event.CREATED, (e) => {
      state.layers.drawn.clearLayers();
      state.layers.drawn.addLayer(e.layer);
      const ring = e.layer.getLatLngs()[0].map((p) => [p.lat, p.lng]);
      send("polygonDrawn", JSON.stringify(ring));
    });
    map.on("click", (e) => {
      if (!state.picking) return;
      pick(false);
      send("pointPicked", e.latlng.lat, e.latlng.lng);
    });
    if (window.qt && window.QWebChannel) {
      new QWebChannel(qt.webChannelTransport, (channel) => {
        state.bridge = channel.objects.bridge;
        send("pageReady");
      });
    }
  }

  function startFps(seconds) {
    // Sample the frame rate for a while (only when asked: a loop of its own would keep the
    // renderer busy for nothing on a machine that also runs the hub).
    state.frames = [];
    const until = performance.now() + (seconds || 30) * 1000;
    const tick = (t) => {
      state.frames.push(t);
      if (state.frames.length > 240) state.frames.shift();
      if (t < until) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  function applyUnits(part) {
    if (!part) return;
    const group = state.layers.units;
    const removed = [];
    const added = [];
    for (const id of part.del || []) {
      const m = state.units.get(id);
      if (m) { removed.push(m); state.units.delete(id); }
    }
    for (const u of part.set || []) {
      const id = u[0];
      let m = state.units.get(id);
      if (m) {
        removed.push(m);
        m.setLatLng([u[1], u[2]]);
        const key = `${u[3]}|${u[4]}|${u[5]}|${u[6]}`;
        if (m.hallKey !== key) { m.setIcon(unitIcon(u)); m.hallKey = key; }
      } else {
        m = L.marker([u[1], u[2]], { icon: unitIcon(u), keyboard: false });
        m.hallKey = `${u[3]}|${u[4]}|${u[5]}|${u[6]}`;
        m.on("click", () => send("mapClicked", "unit", id));
        state.units.set(id, m);
      }
      added.push(m);
    }
    if (removed.length) group.removeLayers(removed);
    if (added.length) group.addLayers(added);
  }

  function applyIncidents(part) {
    if (!part) return;
    const group = state.layers.incidents;
    const removed = [];
    const added = [];
    for (const id of part.del || []) {
      const m = state.incidents.get(id);
      if (m) { removed.push(m); state.incidents.delete(id); }
    }
    for (const inc of part.set || []) {
      const [id, lat, lon, level, title, status, exercise] = inc;
      const old = state.incidents.get(id);
      if (old) removed.push(old);
      const colour = LEVEL_COLOURS[level] || "#9ca3af";
      const m = L.circleMarker([lat, lon], {
        radius: 9, color: exercise ? "#a78bfa" : "#000", weight: exercise ? 3 : 1.5,
        fillColor: colour, fillOpacity: 0.95, dashArray: exercise ? "3 3" : null,
      });
      m.bindTooltip(`${exercise ? "【演练】" : ""}${esc(title)}（${esc(status)}）`);
      m.on("click", () => send("mapClicked", "incident", id));
      state.incidents.set(id, m);
      added.push(m);
    }
    if (removed.length) group.removeLayers(removed);
    if (added.length) group.addLayers(added);
  }

  function applyZones(part) {
    if (!part) return;
    for (const id of part.del || []) {
      const z = state.zones.get(id);
      if (z) { state.layers.zones.removeLayer(z); state.zones.delete(id); }
    }
    for (const [id, ring, level] of part.set || []) {
      const old = state.zones.get(id);
      if (old) state.layers.zones.removeLayer(old);
      const colour = LEVEL_COLOURS[level] || "#9ca3af";
      const z = L.polygon(ring, { color: colour, weight: 2, fillOpacity: 0.15 });
      state.zones.set(id, z);
      state.layers.zones.addLayer(z);
    }
  }

  const RESOURCE_STYLE = {
    facility: { color: "#94a3b8", symbol: "■" },
    shelter: { color: "#3ddc84", symbol: "⌂" },
    team: { color: "#facc15", symbol: "★" },
    vehicle: { color: "#facc15", symbol: "▣" },
    depot: { color: "#60a5fa", symbol: "◆" },
    expert: { color: "#c084fc", symbol: "●" },
    monitoring_point: { color: "#22d3ee", symbol: "◉" },
  };

  function applyResources(part) {
    if (!part) return;
    const group = state.layers.resources;
    const removed = [];
    const added = [];
    for (const id of part.del || []) {
      const m = state.resources.get(id);
      if (m) { removed.push(m); state.resources.delete(id); }
    }
    for (const [id, type, lat, lon, name, label, alarm] of part.set || []) {
      const old = state.resources.get(id);
      if (old) removed.push(old);
      const style = RESOURCE_STYLE[type] || { color: "#e5e7eb", symbol: "●" };
      const cls = "hall-resource" + (alarm ? ` hall-alarm-${esc(alarm)}` : "");
      const m = L.marker([lat, lon], {
        keyboard: false,
        icon: L.divIcon({
          className: "hall-resource-icon",
          html: `<div class="${cls}" style="color:${style.color}">${style.symbol}` +
            (label ? `<span class="hall-resource-label">${esc(label)}</span>` : "") + "</div>",
          iconSize: [16, 16], iconAnchor: [8, 8],
        }),
      });
      m.bindTooltip(esc(name) + (label ? `（${esc(label)}）` : ""));
      m.on("click", () => send("mapClicked", "resource", id));
      state.resources.set(id, m);
      added.push(m);
    }
    if (removed.length) group.removeLayers(removed);
    if (added.length) group.addLayers(added);
  }

  const SEVERITY_COLOURS = {
    Extreme: "#ff2d2d", Severe: "#ff8c1a", Moderate: "#ffd60a", Minor: "#3b82f6",
  };

  function applyWarnings(part) {
    // Inbound warnings (meteorological, earthquake …): dashed outlines by CAP severity.
    if (!part) return;
    for (const id of part.del || []) {
      const w = state.warnings.get(id);
      if (w) { state.layers.warnings.removeLayer(w); state.warnings.delete(id); }
    }
    for (const [id, polygons, circles, severity, label, touches] of part.set || []) {
      const old = state.warnings.get(id);
      if (old) state.layers.warnings.removeLayer(old);
      const colour = SEVERITY_COLOURS[severity] || "#9ca3af";
      const style = { color: colour, weight: touches ? 3 : 2, dashArray: "8 6",
                      fillOpacity: 0.08, interactive: true };
      const g = L.featureGroup();
      for (const ring of polygons) g.addLayer(L.polygon(ring, style));
      for (const [lat, lon, km] of circles) {
        g.addLayer(L.circle([lat, lon], Object.assign({ radius: km * 1000 }, style)));
      }
      g.bindTooltip("⚠ " + esc(label));
      g.on("click", () => send("mapClicked", "warning", id));
      state.warnings.set(id, g);
      state.layers.warnings.addLayer(g);
    }
  }

  function apply(batch) {
    const t0 = performance.now();
    applyUnits(batch.units);
    applyIncidents(batch.incidents);
    applyZones(batch.zones);
    applyResources(batch.resources);
    applyWarnings(batch.warnings);
    state.applied += 1;
    state.lastApplyMs = performance.now() - t0;
    return state.applied;
  }

  function legend(html) {
    // What the symbols mean, bottom right; a click folds it away (and back).
    if (state.legend) state.legend.remove();
    const control = L.control({ position: "bottomright" });
    control.onAdd = () => {
      const div = L.DomUtil.create("div", "hall-legend");
      div.innerHTML = html;  // built by the window from its own translated texts
      L.DomEvent.disableClickPropagation(div);
      div.addEventListener("click", () => div.classList.toggle("hall-legend-folded"));
      // on a narrow map it starts folded (a click on 图例 opens it): the map comes first
      if (state.map.getSize().x < 1000) div.classList.add("hall-legend-folded");
      return div;
    };
    state.legend = control.addTo(state.map);
    return true;
  }

  function pick(on) {
    // The next click on the map is the place of an incident being declared.
    state.picking = Boolean(on);
    state.map.getContainer().style.cursor = state.picking ? "crosshair" : "";
  }

  function highlight(lat, lon, label, track) {
    // An emergency located from the alarm bar: fly there, ring it, name it, and draw the
    // way it came (its last positions).
    if (state.highlight) state.highlight.remove();
    state.highlightTrack = L.polyline(track || [],
      { color: "#ff2d2d", weight: 3, dashArray: "6 4", opacity: 0.9 });
    state.highlight = L.layerGroup([
      state.highlightTrack,
      L.circleMarker([lat, lon], { radius: 26, color: "#ff2d2d", weight: 4, fill: false,
                                   className: "hall-sos-ring" }),
      L.circleMarker([lat, lon], { radius: 6, color: "#ff2d2d", fillColor: "#ff2d2d",
                                   fillOpacity: 1 })
        .bindTooltip(esc(label), { permanent: true, direction: "top", offset: [0, -24],
                                   className: "hall-sos-label" }),
    ]).addTo(state.map);
    state.map.flyTo([lat, lon], 15, { duration: 0.8 });
    return true;
  }

  function focus(ring) {
    // Bring a zone into view (the leader selected an incident): close enough to read it.
    state.map.fitBounds(L.latLngBounds(ring), { maxZoom: 13, padding: [60, 60] });
  }

  function counts() {
    return {
      units: state.units.size,
      incidents: state.incidents.size,
      zones: state.zones.size,
      resources: state.resources.size,
      warnings: state.warnings.size,
      applied: state.applied,
      bridge: state.bridge !== null,
      lastApplyMs: state.lastApplyMs,
    };
  }

  function unitAt(id) {
    const m = state.units.get(id);
    if (!m) return null;
    const p = m.getLatLng();
    return [p.lat, p.lng];
  }

  function fps() {
    const f = state.frames;
    if (f.length < 2) return 0;
    return (f.length - 1) * 1000 / (f[f.length - 1] - f[0]);
  }

  return {
    init, apply, counts, unitAt, fps, startFps, focus, pick, highlight, legend,
    highlightedTrack: () => (state.highlightTrack ? state.highlightTrack.getLatLngs().length : 0),
    highlighted: () => {
      if (!state.highlight) return null;
      const c = state.map.getCenter();
      return [c.lat, c.lng];
    },
    pickingNow: () => state.picking, map: () => state.map,
  };
})();
