// Bar charts of continuing-education credits (ECharts, served from our own static files).
// The data comes from a <script type="application/json"> element rendered by the page (json_script).
(function () {
  function draw(el) {
    var data = JSON.parse(document.getElementById(el.dataset.source).textContent);
    var chart = echarts.init(el, null, { renderer: "svg" });
    if (el.dataset.kind === "rates") {
      chart.setOption({
        animation: false,
        grid: { left: 48, right: 16, top: 24, bottom: 80 },
        tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "%"; } },
        xAxis: { type: "category", data: data.districts, axisLabel: { rotate: 45 } },
        yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
        series: [{ name: "达标率", type: "bar", data: data.rates, itemStyle: { color: "#1f5fa8" } }],
      });
    } else {
      chart.setOption({
        animation: false,
        grid: { left: 48, right: 16, top: 40, bottom: 32 },
        legend: { top: 0 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: data.years },
        yAxis: { type: "value", name: "学分" },
        series: [
          { name: "专业科目", type: "bar", stack: "total", data: data.professional, itemStyle: { color: "#1f5fa8" } },
          { name: "公需科目", type: "bar", stack: "total", data: data.public, itemStyle: { color: "#7fb3e6" } },
          { name: "应修", type: "line", data: data.required, itemStyle: { color: "#c0392b" }, lineStyle: { type: "dashed" } },
        ],
      });
    }
    el.setAttribute("data-drawn", "1");
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-chart]").forEach(draw);
  });
})();
