// Charts of the statistics dashboard, drawn from the JSON the page carries (#stats-data); every
// chart has the same figures in the table under it. Tooltips are drawn on the canvas (richText):
// the Content-Security-Policy forbids the inline styles of ECharts' HTML tooltips.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  const source = document.getElementById("stats-data");
  if (!source || !window.echarts) {
    return;
  }
  const data = JSON.parse(source.textContent);
  const palette = ["#1f5fa8", "#2e8b57", "#d08a1a", "#b0413e", "#6a4c93", "#3b8ea5", "#8a8a8a"];
  const base = {
    color: palette,
    animation: false,
    tooltip: { trigger: "axis", renderMode: "richText" },
    grid: { left: 8, right: 24, top: 30, bottom: 8, containLabel: true },
  };
  const charts = [];

  function draw(element, option) {
    const chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(Object.assign({}, base, option));
    charts.push(chart);
  }

  document.querySelectorAll("[data-chart]").forEach(function (element) {
    const kind = element.dataset.chart;
    if (kind === "districts") {
      const d = data.districts;
      element.style.height = Math.max(240, d.labels.length * 26 + 40) + "px";
      draw(element, {
        xAxis: { type: "value" },
        yAxis: { type: "category", data: d.labels.slice().reverse() },
        series: [{ type: "bar", name: "人数", data: d.values.slice().reverse(), label: { show: true, position: "right" } }],
      });
    } else if (kind === "breakdown") {
      const d = data.breakdowns[element.dataset.key];
      draw(element, {
        xAxis: { type: "category", data: d.labels, axisLabel: { interval: 0, rotate: d.labels.length > 5 ? 30 : 0 } },
        yAxis: { type: "value" },
        series: [{ type: "bar", name: "人数", data: d.values, label: { show: true, position: "top" } }],
      });
    } else if (kind === "flows") {
      const d = data.flows;
      draw(element, {
        legend: { top: 0 },
        grid: { left: 8, right: 24, top: 40, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: d.months },
        yAxis: { type: "value" },
        series: d.series.map(function (s) {
          return { type: "line", name: s.name, data: s.values };
        }),
      });
    } else if (kind === "decided") {
      const d = data.decided;
      draw(element, {
        xAxis: { type: "category", data: d.months },
        yAxis: { type: "value" },
        series: [{ type: "bar", name: "审结", data: d.values }],
      });
    }
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) {
      chart.resize();
    });
  });
});
