/* Starts the page's ECharts charts (static/vendor/echarts). Each chart is an element with
   data-chart="ID", ID naming a json_script element that holds its spec (core/charts.py):
   {kind: "line"|"bar", title, categories, x_name, y_name, series: [{name, data, style, kind?}], money}.
   Money is in yuan; past ten thousand the value axis shows 万元. */
(function () {
  "use strict";

  function axisLabel(money) {
    return function (value) {
      if (money && Math.abs(value) >= 10000) {
        return (value / 10000).toLocaleString("zh-CN", {maximumFractionDigits: 1}) + "万";
      }
      return value.toLocaleString("zh-CN");
    };
  }

  function tooltipValue(money) {
    return function (value) {
      if (value === null || value === undefined) { return "—"; }
      return money ? value.toLocaleString("zh-CN", {minimumFractionDigits: 2, maximumFractionDigits: 2})
        : value.toLocaleString("zh-CN");
    };
  }

  function option(spec) {
    return {
      tooltip: {trigger: "axis", valueFormatter: tooltipValue(spec.money)},
      legend: {top: 0},
      grid: {left: 70, right: 24, top: 40, bottom: 48},
      xAxis: {type: "category", data: spec.categories, name: spec.x_name, nameLocation: "middle", nameGap: 30},
      yAxis: {type: "value", name: spec.y_name, minInterval: spec.money ? 0 : 1,
              axisLabel: {formatter: axisLabel(spec.money)}},
      series: spec.series.map(function (s) {
        var kind = s.kind || spec.kind;
        return {
          name: s.name, type: kind, data: s.data, connectNulls: false, showSymbol: kind === "line",
          barMaxWidth: 48,
          lineStyle: s.style === "dashed" ? {type: "dashed"} : undefined
        };
      })
    };
  }

  function start() {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) { return; }
      var chart = window.echarts.init(el);
      chart.setOption(option(JSON.parse(source.textContent)));
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
