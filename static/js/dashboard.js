/* Draws the dashboard charts with the vendored Apache ECharts: the portal's own build, with only the charts
 * and components used here (static/vendor/echarts/BUILD.md); one more must be added to that build too.
 *
 * The page renders each chart's data as <script type="application/json"> (Django's json_script) and a
 * container <div data-chart="<id of that script>" hidden>. Without JavaScript the containers stay hidden
 * and the tables beside them carry the same figures. No inline script or style anywhere (CSP).
 * Series are told apart by an Okabe–Ito colour AND a line dash or marker shape; the highlighted district
 * bar has a hatch pattern and a ▶ mark, so nothing depends on colour vision.
 * Numbers: tooltips give the exact figure (data.decimals, grouped); bar labels and axes give large ones
 * in the steps the reader counts in (data.steps: 万 and 亿, or million and billion), as the cards do.
 * Printing: the print button, and the print date set again just before printing.
 */
(function () {
  "use strict";

  // Okabe & Ito (2008), safe for the common colour-vision deficiencies.
  var OKABE_ITO = {
    blue: "#0072B2",
    orange: "#E69F00",
    green: "#009E73",
    vermillion: "#D55E00",
    sky: "#56B4E9",
    purple: "#CC79A7",
    yellow: "#F0E442",
    black: "#000000",
  };
  var SERIES_COLOURS = [OKABE_ITO.blue, OKABE_ITO.vermillion, OKABE_ITO.green, OKABE_ITO.purple];
  var SERIES_SYMBOLS = ["circle", "rect", "triangle", "diamond"];
  var SERIES_DASHES = ["solid", "dashed", "dotted", "dashed"];
  var FONT =
    '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif';
  // Room above the bars for the city figure's label (a line of 12 px text with its padding and gap).
  var LABEL_BAND = 22;
  // A4 minus margins, in CSS pixels (96 per inch): the size print.css gives a chart.
  var PRINT_SIZE = { width: Math.round((180 * 96) / 25.4), height: Math.round((80 * 96) / 25.4) };

  var charts = [];

  function language() {
    return (document.documentElement.getAttribute("lang") || "zh-Hans").toLowerCase();
  }

  function formatter(decimals) {
    var lang = language().indexOf("zh") === 0 ? "zh-CN" : "en-GB";
    var format = new Intl.NumberFormat(lang, {
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
    });
    return function (value) {
      if (value === null || value === undefined || value === "-" || isNaN(value)) {
        return "—";
      }
      return format.format(value);
    };
  }

  // 350.2万, 7.78亿 (or 3.5 million): at least three significant digits, at most two decimals, no
  // trailing zeros; small figures and rates exact. Mirrors indicators/dashboards/formatting.py.
  function compactFormatter(data) {
    var steps = (data.steps || []).slice().sort(function (a, b) {
      return a.divisor - b.divisor;
    });
    var exact = formatter(data.decimals);
    var grouped = [0, 1, 2].map(function (decimals) {
      return formatter(decimals);
    });
    function places(scaled) {
      var size = Math.abs(scaled);
      return size < 100 ? 2 : size < 1000 ? 1 : 0;
    }
    function round(value, decimals) {
      var factor = Math.pow(10, decimals);
      return Math.sign(value) * Math.round(Math.abs(value) * factor) / factor;
    }
    return function (value) {
      if (value === null || value === undefined || value === "-" || isNaN(value)) {
        return "—";
      }
      for (var index = steps.length - 1; index >= 0; index -= 1) {
        var step = steps[index];
        if (Math.abs(value) < step.divisor) {
          continue;
        }
        var decimals = places(value / step.divisor);
        var shown = round(value / step.divisor, decimals);
        var next = steps[index + 1];
        if (next && Math.abs(shown) * step.divisor >= next.divisor) {
          step = next;
          decimals = 2;
          shown = round(value / step.divisor, decimals);
        }
        var text = grouped[decimals](shown);
        if (text.indexOf(".") !== -1) {
          text = text.replace(/0+$/, "").replace(/\.$/, "");
        }
        return step.pattern.replace("%(number)s", text);
      }
      return exact(value);
    };
  }

  function readData(id) {
    var node = document.getElementById(id);
    if (!node) {
      return null;
    }
    try {
      return JSON.parse(node.textContent);
    } catch (error) {
      return null;
    }
  }

  function narrow(element) {
    return element.clientWidth < 480;
  }

  function barsOption(data, element) {
    var fmt = formatter(data.decimals);
    var short = compactFormatter(data);
    var hatch = {
      symbol: "rect",
      symbolSize: 1,
      color: "rgba(0, 0, 0, 0.45)",
      dashArrayX: [1, 0],
      dashArrayY: [3, 4],
      rotation: -Math.PI / 4,
    };
    var values = data.values.map(function (value, index) {
      if (index !== data.highlight) {
        return value;
      }
      return { value: value, itemStyle: { color: OKABE_ITO.orange, decal: hatch } };
    });
    // The city figure and the target are vertical lines. The city figure's name and value stand at the
    // line's top end, in a band above the bars (LABEL_BAND), where they cover no bar; the target is named
    // in a legend (two labels side by side would collide when the two values are close).
    var lines = [];
    var keys = [];
    var largest = Math.max.apply(
      null,
      data.values
        .concat([data.reference && data.reference.value, data.target && data.target.value])
        .filter(function (v) {
          return typeof v === "number";
        })
        .concat([0])
    );
    function placed(value) {
      // Near either edge the text starts or ends at the line instead of centring on it (and running off).
      var share = largest > 0 ? value / largest : 0;
      return share > 0.65 ? "right" : share < 0.35 ? "left" : "center";
    }
    function addLine(line, style, labelled) {
      if (!line || line.value === null || line.value === undefined) {
        return;
      }
      var name = line.name + " " + fmt(line.value);
      if (!labelled) {
        lines.push({ xAxis: line.value, name: name, lineStyle: style, label: { show: false } });
        keys.push({ type: "line", name: name, data: [], symbol: "none", lineStyle: style, itemStyle: { color: style.color } });
        return;
      }
      lines.push({
        xAxis: line.value,
        name: name,
        lineStyle: style,
        label: {
          show: true,
          // The category axis runs downwards (inverse), so the line starts at the top of the grid.
          position: "start",
          distance: 4,
          formatter: line.name + " " + short(line.value),
          color: "#1f2328",
          fontSize: 12,
          align: placed(line.value),
        },
      });
    }
    addLine(data.reference, { color: OKABE_ITO.black, type: "dashed", width: 1.5 }, true);
    addLine(data.target, { color: OKABE_ITO.green, type: "dotted", width: 2.5 }, false);
    var labelBand = data.reference && data.reference.value !== null && data.reference.value !== undefined ? LABEL_BAND : 0;
    var highlightName = data.highlight !== null ? data.categories[data.highlight] : null;
    return {
      animation: false,
      textStyle: { fontFamily: FONT },
      color: [OKABE_ITO.blue],
      grid: {
        left: 4,
        right: narrow(element) ? 48 : 64,
        top: (keys.length ? 32 : 8) + labelBand,
        bottom: 24,
        containLabel: true,
      },
      legend: keys.length
        ? { top: 0, left: 0, selectedMode: false, itemWidth: 28, textStyle: { fontSize: 13 }, data: keys.map(function (k) { return k.name; }) }
        : undefined,
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        renderMode: "richText",
        valueFormatter: function (value) {
          return fmt(value) + " " + data.unit;
        },
      },
      xAxis: {
        type: "value",
        name: data.unit,
        nameLocation: "end",
        axisLabel: { formatter: short, hideOverlap: true },
        splitLine: { lineStyle: { color: "#e3e6ea" } },
      },
      yAxis: {
        type: "category",
        inverse: true,
        data: data.categories,
        axisTick: { show: false },
        axisLabel: {
          color: "#1f2328",
          fontSize: 13,
          formatter: function (name) {
            return name === highlightName ? "{hl|▶ " + name + "}" : name;
          },
          rich: { hl: { fontWeight: "bold", color: "#1f2328", fontSize: 13 } },
        },
      },
      series: [
        {
          type: "bar",
          name: data.seriesName,
          data: values,
          barMaxWidth: 26,
          label: { show: true, position: "right", formatter: function (p) { return short(p.value); }, color: "#1f2328" },
          markLine: lines.length ? { symbol: "none", silent: true, data: lines } : undefined,
        },
      ].concat(keys),
    };
  }

  function linesOption(data, element) {
    var fmt = formatter(data.decimals);
    var short = compactFormatter(data);
    var series = data.series.map(function (s, index) {
      return {
        type: "line",
        name: s.name,
        data: s.values,
        connectNulls: false,
        symbol: SERIES_SYMBOLS[index % SERIES_SYMBOLS.length],
        symbolSize: 9,
        lineStyle: { width: 2.5, type: SERIES_DASHES[index % SERIES_DASHES.length] },
        itemStyle: { color: SERIES_COLOURS[index % SERIES_COLOURS.length] },
      };
    });
    if (data.target) {
      series.push({
        type: "line",
        name: data.target.name,
        data: data.target.values,
        symbol: "diamond",
        symbolSize: 8,
        step: "end",
        lineStyle: { width: 2, type: "dotted" },
        itemStyle: { color: OKABE_ITO.green },
      });
    }
    return {
      animation: false,
      textStyle: { fontFamily: FONT },
      grid: { left: 4, right: 16, top: 48, bottom: 8, containLabel: true },
      legend: { top: 0, left: 0, type: "scroll", itemWidth: 28, textStyle: { fontSize: 13 } },
      tooltip: {
        trigger: "axis",
        renderMode: "richText",
        valueFormatter: function (value) {
          return fmt(value) + " " + data.unit;
        },
      },
      xAxis: {
        type: "category",
        data: data.categories,
        boundaryGap: true,
        axisLabel: { hideOverlap: true, rotate: narrow(element) ? 40 : 0 },
      },
      yAxis: {
        type: "value",
        name: data.unit,
        axisLabel: { formatter: short },
        splitLine: { lineStyle: { color: "#e3e6ea" } },
      },
      series: series,
    };
  }

  var BUILDERS = { bars: barsOption, lines: linesOption };

  function draw(element) {
    var data = readData(element.getAttribute("data-chart"));
    if (!data || !BUILDERS[data.kind]) {
      return;
    }
    element.hidden = false;
    var chart = window.echarts.init(element, null, {
      renderer: "canvas",
      locale: language().indexOf("zh") === 0 ? "ZH" : "EN",
      devicePixelRatio: Math.max(window.devicePixelRatio || 1, 2),
    });
    chart.on("finished", function () {
      element.setAttribute("data-chart-ready", "true");
    });
    chart.setOption(BUILDERS[data.kind](data, element));
    charts.push({ chart: chart, element: element, data: data });
  }

  function redraw(entry, size) {
    entry.chart.resize(size);
    // Label rotation and margins depend on the width: rebuild the option for the new size.
    entry.chart.setOption(BUILDERS[entry.data.kind](entry.data, entry.element), { replaceMerge: ["series"] });
  }

  function pad(number) {
    return (number < 10 ? "0" : "") + number;
  }

  // The print date on paper is the moment of printing, even for a page opened yesterday.
  function stampPrintDate() {
    var now = new Date();
    var text =
      now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate()) + " " + pad(now.getHours()) + ":" + pad(now.getMinutes());
    Array.prototype.forEach.call(document.querySelectorAll("[data-print-date]"), function (node) {
      node.textContent = text;
    });
  }

  function startPrinting() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    });
    window.addEventListener("beforeprint", stampPrintDate);
  }

  function start() {
    startPrinting();
    if (!window.echarts) {
      return; // the tables carry the figures
    }
    var elements = document.querySelectorAll("[data-chart]");
    Array.prototype.forEach.call(elements, draw);
    if (window.ResizeObserver) {
      var observer = new ResizeObserver(function (entries) {
        entries.forEach(function (observed) {
          charts.forEach(function (entry) {
            if (entry.element === observed.target) {
              redraw(entry);
            }
          });
        });
      });
      charts.forEach(function (entry) {
        observer.observe(entry.element);
      });
    }
    window.addEventListener("beforeprint", function () {
      charts.forEach(function (entry) {
        redraw(entry, PRINT_SIZE);
      });
    });
    window.addEventListener("afterprint", function () {
      charts.forEach(function (entry) {
        redraw(entry);
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
