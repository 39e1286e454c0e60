// Readings chart and lab trends: inline SVG drawn from the page's JSON (no library, no CDN).
// Shapes and words carry the meaning too (a triangle and "!" for urgent), never colour alone.
(function () {
  "use strict";
  const NS = "http://www.w3.org/2000/svg";
  const H = 240, PAD = { l: 44, r: 12, t: 14, b: 30 };
  // The drawing's width follows the box's, so that a label's 12 px stay 12 px on the screen
  // (a 640-wide drawing squeezed onto a phone drew its labels at 6 px).
  let W = 640;

  function fitWidth(box) {
    W = Math.max(300, Math.min(640, Math.round(box.clientWidth || 640)));
  }

  function svgEl(tag, attrs, text) {
    const node = document.createElementNS(NS, tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, String(v)));
    if (text != null) node.textContent = text;
    return node;
  }

  function scale(d0, d1, r0, r1) {
    return (v) => r0 + ((v - d0) / ((d1 - d0) || 1)) * (r1 - r0);
  }

  function frame(svg, y, yMin, yMax, step) {
    for (let v = Math.ceil(yMin / step) * step; v <= yMax; v += step) {
      svg.append(svgEl("line", { x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v), class: "grid" }));
      svg.append(svgEl("text", { x: PAD.l - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, String(v)));
    }
  }

  function band(svg, y, low, high, label) {
    const top = y(high), bottom = y(low);
    svg.append(svgEl("rect", { x: PAD.l, y: top, width: W - PAD.l - PAD.r, height: Math.max(bottom - top, 1), class: "band" }));
    svg.append(svgEl("text", { x: PAD.l + 4, y: top + 14, class: "band-label" }, label));
  }

  function limit(svg, y, value, label) {
    svg.append(svgEl("line", { x1: PAD.l, x2: W - PAD.r, y1: y(value), y2: y(value), class: "limit" }));
    svg.append(svgEl("text", { x: PAD.l + 4, y: y(value) - 4, class: "limit-label" }, label));
  }

  function marker(svg, cx, cy, level, cls, title) {
    const g = svgEl("g", { class: "pt " + cls + " level-" + level });
    if (level === "urgent") {
      g.append(svgEl("path", { d: `M${cx} ${cy - 8} L${cx + 7} ${cy + 5} L${cx - 7} ${cy + 5} Z` }));
      g.append(svgEl("text", { x: cx, y: cy + 3, "text-anchor": "middle", class: "bang" }, "!"));
    } else if (cls === "dia") {
      g.append(svgEl("rect", { x: cx - 4, y: cy - 4, width: 8, height: 8 }));
    } else {
      g.append(svgEl("circle", { cx, cy, r: 4.5 }));
    }
    g.append(svgEl("title", {}, title));
    svg.append(g);
  }

  function line(svg, points, cls) {
    if (points.length < 2) return;
    svg.append(svgEl("polyline", { points: points.map((p) => p.join(",")).join(" "), class: "trace " + cls }));
  }

  function dateLabels(svg, x, start, end) {
    [start, (start + end) / 2, end].forEach((t, i) => {
      svg.append(svgEl("text", { x: x(t), y: H - 8, "text-anchor": ["start", "middle", "end"][i], class: "tick" },
        App.fmtMonthDay(t)));
    });
  }

  function readingsChart(box, data) {
    fitWidth(box);
    const end = Date.now(), start = end - data.days * 86400000;
    const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart-svg", "aria-hidden": "true", focusable: "false" });
    const x = scale(start, end, PAD.l, W - PAD.r);
    const points = data.series[data.kind] || [];
    if (data.kind === "blood_pressure") {
      const b = data.bands.blood_pressure;
      const y = scale(40, 220, H - PAD.b, PAD.t);
      frame(svg, y, 40, 220, 20);
      band(svg, y, 90, b.high, App.t("Target band"));
      limit(svg, y, b.urgent, App.t("Urgent"));
      svg.append(svgEl("line", { x1: PAD.l, x2: W - PAD.r, y1: y(b.high2), y2: y(b.high2), class: "limit dia-target" }));
      const sys = points.map((p) => [x(Date.parse(p.t)), y(p.s), p]);
      const dia = points.map((p) => [x(Date.parse(p.t)), y(p.d), p]);
      line(svg, sys.map((p) => p.slice(0, 2)), "sys");
      line(svg, dia.map((p) => p.slice(0, 2)), "dia");
      sys.forEach(([cx, cy, p]) => marker(svg, cx, cy, p.level, "sys", `${p.s}/${p.d} mmHg`));
      dia.forEach(([cx, cy, p]) => marker(svg, cx, cy, p.level === "urgent" ? "high" : p.level, "dia", `${p.s}/${p.d} mmHg`));
    } else {
      const values = points.map((p) => p.v);
      const b = data.kind === "glucose" ? data.bands.glucose : null;
      const lo = b ? 0 : Math.floor(Math.min(...values, 60) - 5);
      const hi = b ? Math.max(20, ...values.map((v) => v + 2)) : Math.ceil(Math.max(...values, 70) + 5);
      const y = scale(lo, hi, H - PAD.b, PAD.t);
      frame(svg, y, lo, hi, b ? 2 : Math.max(1, Math.round((hi - lo) / 8)));
      if (b) { band(svg, y, b.low, b.high, App.t("Target band")); limit(svg, y, b.urgent, App.t("Urgent")); }
      const pts = points.map((p) => [x(Date.parse(p.t)), y(p.v), p]);
      line(svg, pts.map((p) => p.slice(0, 2)), "val");
      pts.forEach(([cx, cy, p]) => marker(svg, cx, cy, p.level, "val", String(p.v)));
    }
    dateLabels(svg, x, start, end);
    box.replaceChildren(svg);
    if (data.kind === "blood_pressure") {
      box.append(App.el("p", { class: "legend", text: App.t("● upper pressure, ■ lower pressure, ▲! urgent") }));
    }
  }

  function trendChart(box) {
    const values = JSON.parse(box.dataset.points || "[]");
    if (values.length < 2) return;
    fitWidth(box);
    const low = box.dataset.low === "" ? null : Number(box.dataset.low);
    const high = box.dataset.high === "" ? null : Number(box.dataset.high);
    const top = Math.max(...values, high ?? 0) * 1.15, bottom = Math.min(...values, low ?? top) * 0.85;
    const svg = svgEl("svg", { viewBox: `0 0 ${W} 160`, class: "chart-svg", "aria-hidden": "true", focusable: "false" });
    const y = scale(bottom, top, 160 - 20, 12);
    const x = scale(0, values.length - 1, PAD.l, W - PAD.r);
    if (low != null || high != null) band(svg, y, low ?? bottom, high ?? top, App.t("Reference range"));
    const pts = values.map((v, i) => [x(i), y(v)]);
    line(svg, pts, "val");
    pts.forEach(([cx, cy], i) => {
      const v = values[i], out = (high != null && v > high) || (low != null && v < low);
      marker(svg, cx, cy, out ? "high" : "normal", "val", String(v));
      svg.append(svgEl("text", { x: cx, y: cy - 9, "text-anchor": "middle", class: "tick" }, String(v)));
    });
    box.replaceChildren(svg);
  }

  function start() {
    const box = document.getElementById("chart");
    const source = document.getElementById("chart-data");
    if (box && source) readingsChart(box, JSON.parse(source.textContent));
    document.querySelectorAll(".lab-trend").forEach(trendChart);
  }

  window.ChronicChart = { start };
  document.addEventListener("DOMContentLoaded", start);
})();
