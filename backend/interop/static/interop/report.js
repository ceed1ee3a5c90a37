// The printable visit report: writes its dates in the reader's own format, draws the chart
// from the figure the server embedded as a JSON data block, wires the Print button, and
// takes the one-time token out of the address bar (it is used up anyway; this keeps it out
// of the history). A static module: the CSP allows no inline script. The dates go through
// the app's own dates.js, so the report and the app write a date the same way.

import { fitToWidth, localiseFigure } from "/charts.js";
import { formatDate, formatDateTime } from "/dates.js";

const CHART_WIDTH = 680; // px: 180 mm, the text width of A4 and US Letter with margins

const ISO_DATE = /\b\d{4}-\d{2}-\d{2}\b/g;

/** The page's language (the one of the user it was made for, <html lang>), in the reader's
 * own regional form when their browser speaks it too ("es-US" for "es"). */
function reportLocale() {
  const page = document.documentElement.lang || undefined;
  const reader = globalThis.navigator?.language || "";
  if (!page) return reader || undefined;
  return reader.toLowerCase().startsWith(`${page.toLowerCase()}-`) ? reader : page;
}

/** <time datetime> in the short or long form; [data-dates] text with ISO dates in it. */
function writeDates() {
  const zone = document.querySelector("[data-timezone]")?.dataset.timezone || undefined;
  const locale = reportLocale();
  for (const time of document.querySelectorAll("time[data-format]")) {
    const value = time.getAttribute("datetime");
    if (!value) continue;
    const style = time.dataset.format;
    time.textContent =
      value.length === 10
        ? formatDate(value, { style, locale })
        : formatDateTime(value, zone, { style, locale });
  }
  for (const element of document.querySelectorAll("[data-dates]")) {
    const style = element.dataset.dates || "short";
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      node.textContent = node.textContent.replace(ISO_DATE, (iso) =>
        formatDate(iso, { style, locale }),
      );
    }
  }
}

function layoutFor(figure, width) {
  // On paper the legend goes clear below the axis title, which it overlaps at this width
  // when placed in plot fractions; one at the figure's bottom edge (yref container) is clear.
  const layout = fitToWidth({ ...figure.layout }, width);
  const legend = { ...(layout.legend ?? {}) };
  if (legend.orientation === "h" && legend.yref !== "container") {
    legend.y = Math.min(legend.y ?? -0.18, -0.3);
  }
  const height = Math.max(layout.height ?? 380, 440);
  return { ...layout, legend, width, height, autosize: false };
}

function drawChart() {
  const data = document.getElementById("report-figure");
  const plot = document.getElementById("report-chart");
  if (!data || !plot) return Promise.resolve();
  const box = plot.closest("figure");
  const Plotly = globalThis.Plotly;
  if (!Plotly) {
    box.dataset.chart = "failed";
    return Promise.resolve();
  }
  const figure = localiseFigure(JSON.parse(data.textContent));
  const screenWidth = () => Math.min(plot.clientWidth || CHART_WIDTH, CHART_WIDTH);
  const config = { staticPlot: true, displayModeBar: false, displaylogo: false };
  return Plotly.newPlot(plot, figure.data, layoutFor(figure, screenWidth()), config).then(
    () => {
      // The caption and the day-by-day table carry the meaning for assistive technology.
      for (const svg of plot.querySelectorAll("svg")) svg.setAttribute("aria-hidden", "true");
      box.dataset.chart = "drawn";
      // Printed from a phone, the chart takes the paper's width, then the screen's again.
      const resize = (width) => Plotly.relayout(plot, layoutFor(figure, width));
      addEventListener("beforeprint", () => resize(CHART_WIDTH));
      addEventListener("afterprint", () => resize(screenWidth()));
    },
    () => {
      box.dataset.chart = "failed";
    },
  );
}

if (new URLSearchParams(location.search).has("token")) {
  history.replaceState(null, "", location.pathname);
}
document.getElementById("print-report")?.addEventListener("click", () => window.print());
writeDates();
drawChart();
