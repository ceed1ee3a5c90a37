// plotly.js is loaded only here, only when a chart screen opens: the check-in screen never
// waits for its ~330 kB. The bundle is the npm registry's basic partial build (scatter is
// all Relief's charts use), served from node_modules by config/frontend.py.

import { formatDate } from "./dates.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

const PLOTLY_SRC = "/vendor/plotly-basic.min.js";
let loading = null;

export function loadPlotly() {
  if (globalThis.Plotly) return Promise.resolve(globalThis.Plotly);
  if (!loading) {
    // plotly inserts its stylesheet into an inline <style>, which the CSP (style-src 'self')
    // blocks. This marker tells plotly not to try; styles.css carries the rules it needs.
    if (!document.getElementById("plotly.js-style-global")) {
      document.head.append(
        h("meta", { id: "plotly.js-style-global", class: "no-inline-styles", name: "plotly" }),
      );
    }
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = PLOTLY_SRC;
      script.async = true;
      script.onload = () => resolve(globalThis.Plotly);
      script.onerror = () => {
        loading = null;
        script.remove();
        reject(new Error(t("charts.loadFailed")));
      };
      document.head.append(script);
    });
  }
  return loading;
}

const ISO_DATE = /\b(\d{4}-\d{2}-\d{2})\b/g;

/** The ISO dates (YYYY-MM-DD) in a figure's text written in the reader's own format. */
export function localDates(text, style = "short") {
  return typeof text === "string"
    ? text.replace(ISO_DATE, (iso) => formatDate(iso, { style }))
    : text;
}

/**
 * The server's figure with its dates in the reader's format: the title (long form), trace
 * names and hover values (short), and the text a tapped point shows (long). The server
 * writes ISO dates because it does not know who reads them.
 */
export function localiseFigure(figure) {
  const deep = (value, style) =>
    Array.isArray(value) ? value.map((v) => deep(v, style)) : localDates(value, style);
  const data = figure.data.map((trace) => ({
    ...trace,
    ...(trace.name === undefined ? {} : { name: localDates(trace.name) }),
    ...(trace.customdata === undefined ? {} : { customdata: deep(trace.customdata, "short") }),
    ...(trace.text === undefined ? {} : { text: deep(trace.text, "long") }),
  }));
  const layout = { ...figure.layout };
  if (layout.title?.text) {
    layout.title = { ...layout.title, text: localDates(layout.title.text, "long") };
  }
  return { data, layout };
}

/**
 * The line under a chart for one tap ("Day 3: Pain 4 on Thu, 14 May 2026 (1 entry, relief
 * 43 %); Soreness 2."): the texts of the points on the day tapped (plotly lists the nearest
 * first; a unified hover adds other traces' nearest points, on other days too), in the
 * legend's order.
 */
export function pointsText(points) {
  if (!points.length) return "";
  const day = points[0].x;
  const texts = points
    .filter((point) => point.x === day)
    .sort((a, b) => (a.curveNumber ?? 0) - (b.curveNumber ?? 0))
    .map((point) => point.data?.text?.[point.pointIndex ?? point.pointNumber])
    .filter((text, i, all) => text && all.indexOf(text) === i);
  if (!texts.length) return "";
  const body = texts.join("; ");
  return t(/[.!?]$/.test(body) ? "charts.pointEnded" : "charts.point", { day, text: body });
}

const CONFIG = { displayModeBar: false, responsive: true, scrollZoom: false, displaylogo: false };

/**
 * A chart figure ({data, layout} from the API) drawn into a new element. `label` is the
 * text alternative for screen readers (the summary the chart illustrates).
 */
export function chartBox(label) {
  const plot = h("div", { class: "chart-plot" });
  // What a tapped point holds, in words; read out politely when it changes.
  const point = h("p", { class: "chart-point", "aria-live": "polite", "data-chart-point": "" });
  const box = h(
    "figure",
    { class: "chart", "data-chart": "loading" },
    plot,
    point,
    h("figcaption", { class: "visually-hidden", text: label }),
  );
  return { box, plot, point };
}

/**
 * Phone-width adjustments to the server's figure: fewer x ticks (no rotated labels), and a
 * legend placed in plot fractions pushed below the axis title instead of over it (one at
 * the figure's bottom edge, yref "container", is already clear of it).
 */
export function fitToWidth(layout, width) {
  if (!width || width >= 520) return layout;
  const xaxis = { ...(layout.xaxis ?? {}), tickangle: 0 };
  if ((xaxis.dtick ?? 1) < 2) xaxis.dtick = 2;
  const legend = { ...(layout.legend ?? {}) };
  if (legend.orientation === "h" && legend.yref !== "container") {
    legend.y = Math.min(legend.y ?? -0.18, -0.32);
  }
  return { ...layout, xaxis, legend, height: Math.max(layout.height ?? 380, 440) };
}

export async function draw({ box, plot, point }, served) {
  const Plotly = await loadPlotly();
  const figure = localiseFigure(served);
  const width = plot.clientWidth;
  const layout = fitToWidth({ ...figure.layout, autosize: true }, width);
  delete layout.width;
  const title = layout.title?.text;
  if (title && width < 520) {
    // A plot title never wraps; on a phone it goes above the chart as text that does.
    layout.title = { ...layout.title, text: "" };
    box.querySelector(".chart-title")?.remove();
    box.prepend(h("p", { class: "chart-title", text: title.replace(/<[^>]*>/g, " ") }));
  }
  await Plotly.newPlot(plot, figure.data, layout, CONFIG);
  // Plotly's SVG is decorative for assistive technology: the caption carries the meaning.
  for (const svg of plot.querySelectorAll("svg")) svg.setAttribute("aria-hidden", "true");
  if (point) {
    point.textContent = t("charts.tapHint");
    plot.on("plotly_click", (event) => {
      const text = pointsText(event?.points ?? []);
      if (text) point.textContent = text;
    });
  }
  box.dataset.chart = "drawn";
  performance.mark("relief:chart-drawn");
  return box;
}

export function purge(plot) {
  if (globalThis.Plotly && plot) globalThis.Plotly.purge(plot);
}
