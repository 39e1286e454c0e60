// The dashboard's charts, drawn as inline SVG from the figures the page carries (no library, no CDN).
// Each chart also has its table (the figures in words); colour is never the only cue: bars carry labels.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("figures-data")?.textContent || "null");
  if (!data) return;
  const NS = "http://www.w3.org/2000/svg";
  const zh = App.lang === "zh";

  function svg(tag, attrs, text) {
    const node = document.createElementNS(NS, tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function frame(id, height, label) {
    const host = document.querySelector(`#${id} .svg-host`);
    const root = svg("svg", { viewBox: `0 0 600 ${height}`, role: "img", "aria-label": label });
    host.replaceChildren(root);
    return root;
  }

  // Horizontal bars: one per department, its count written at the end of the bar.
  function departments() {
    const rows = data.departments.slice(0, 12);
    const root = frame("chart-departments", Math.max(60, rows.length * 30 + 10), App.t("Consultations per department"));
    if (!rows.length) { root.append(svg("text", { x: 10, y: 35, class: "muted" }, App.t("No consultations in this period."))); return; }
    const max = Math.max(...rows.map((r) => r.count));
    rows.forEach((r, i) => {
      const y = 8 + i * 30, w = Math.max(2, (r.count / max) * 330);
      const name = zh ? `${r.hospital_zh} ${r.department_zh}` : `${r.hospital_en} ${r.department_en}`;
      root.append(svg("text", { x: 0, y: y + 17, "font-size": 16 }, name.length > 14 ? name.slice(0, 13) + "…" : name));
      root.append(svg("rect", { x: 230, y, width: w, height: 22, fill: "#0b5cad" }));
      root.append(svg("text", { x: 236 + w, y: y + 17, "font-size": 16 }, r.count));
    });
  }

  // Vertical bars: 24 hours of the day.
  function hours() {
    const root = frame("chart-hours", 220, App.t("Consultations per hour of the day"));
    const max = Math.max(1, ...data.hours);
    data.hours.forEach((n, h) => {
      const x = 30 + h * 23, bar = (n / max) * 160;
      root.append(svg("rect", { x, y: 180 - bar, width: 18, height: bar, fill: "#0b5cad" }));
      if (n) root.append(svg("text", { x: x + 9, y: 175 - bar, "font-size": 14, "text-anchor": "middle" }, n));
      if (h % 3 === 0) root.append(svg("text", { x: x + 9, y: 200, "font-size": 14, "text-anchor": "middle" }, String(h).padStart(2, "0")));
    });
    root.append(svg("line", { x1: 28, y1: 180, x2: 585, y2: 180, stroke: "#4a5360" }));
  }

  // Two lines over the hours: doctors on duty (solid) and patients waiting (dashed).
  function duty() {
    const points = data.duty;
    const root = frame("chart-duty", 248, App.t("Doctors on duty against patients waiting"));
    if (!points.length) return;
    const max = Math.max(1, ...points.map((p) => Math.max(p.on_duty, p.waiting)));
    const x = (i) => 40 + (points.length === 1 ? 0 : (i / (points.length - 1)) * 540);
    const y = (v) => 200 - (v / max) * 180;
    [["on_duty", "#1a6b34", "", App.t("Doctors on duty")], ["waiting", "#b42318", "6 4", App.t("Patients waiting")]].forEach(([key, colour, dash, name], k) => {
      const path = points.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(p[key]).toFixed(1)}`).join(" ");
      root.append(svg("path", { d: path, fill: "none", stroke: colour, "stroke-width": 2.5, "stroke-dasharray": dash }));
      root.append(svg("line", { x1: 40 + k * 240, y1: 234, x2: 70 + k * 240, y2: 234, stroke: colour, "stroke-width": 2.5, "stroke-dasharray": dash }));
      root.append(svg("text", { x: 76 + k * 240, y: 239, "font-size": 15 }, name));
    });
    root.append(svg("text", { x: 4, y: 24, "font-size": 14 }, max));
    root.append(svg("text", { x: 4, y: 200, "font-size": 14 }, 0));
    // The first, middle and last hours under the axis (local time, as the table says).
    [0, Math.floor((points.length - 1) / 2), points.length - 1].forEach((i) => {
      const label = points[i].at.slice(5, 16).replace("T", " ");
      root.append(svg("text", { x: Math.min(x(i), 500), y: 216, "font-size": 13, "text-anchor": i ? "middle" : "start" }, label));
    });
    root.append(svg("line", { x1: 38, y1: 200, x2: 585, y2: 200, stroke: "#4a5360" }));
  }

  // One stacked bar: fund, personal account, cash, each with its amount in words.
  function money() {
    const m = data.money, total = m.fund + m.account + m.cash;
    const root = frame("chart-money", 104, App.t("Who paid for the settled orders"));
    if (!total) { root.append(svg("text", { x: 10, y: 35 }, App.t("Nothing settled in this period."))); return; }
    let x = 0;
    [["fund", "#0b5cad", App.t("Pooled fund")], ["account", "#1a6b34", App.t("Personal account")], ["cash", "#8a5300", App.t("Cash")]].forEach(([key, colour, name], k) => {
      const w = (m[key] / total) * 600;
      root.append(svg("rect", { x, y: 10, width: w, height: 36, fill: colour }));
      root.append(svg("text", { x: k * 200, y: 72, "font-size": 16 }, `${name} ${App.yuan(m[key])}`));
      root.append(svg("text", { x: k * 200, y: 94, "font-size": 16 }, `${((m[key] / total) * 100).toFixed(1)}%`));
      x += w;
    });
  }

  departments(); hours(); duty(); money();
})();
