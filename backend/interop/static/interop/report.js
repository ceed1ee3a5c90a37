// The printable visit report: draws the chart from the figure the server embedded as a JSON
// data block, wires the Print button, and takes the one-time token out of the address bar
// (it is used up anyway; this keeps it out of the history). A static file: the CSP allows
// no inline script.

const CHART_WIDTH = 680; // px: 180 mm, the text width of A4 and US Letter with margins

function drawChart() {
  const data = document.getElementById("report-figure");
  const plot = document.getElementById("report-chart");
  if (!data || !plot) return Promise.resolve();
  const box = plot.closest("figure");
  if (!globalThis.Plotly) {
    box.dataset.chart = "failed";
    return Promise.resolve();
  }
  const figure = JSON.parse(data.textContent);
  const width = Math.min(plot.clientWidth || CHART_WIDTH, CHART_WIDTH);
  // On paper the legend goes clear below the axis title, which it overlaps at this width.
  const legend = { ...(figure.layout.legend ?? {}) };
  if (legend.orientation === "h") legend.y = Math.min(legend.y ?? -0.18, -0.3);
  const height = Math.max(figure.layout.height ?? 380, 440);
  const layout = { ...figure.layout, legend, width, height, autosize: false };
  return globalThis.Plotly.newPlot(plot, figure.data, layout, {
    staticPlot: true,
    displayModeBar: false,
    displaylogo: false,
  }).then(
    () => {
      // The caption and the day-by-day table carry the meaning for assistive technology.
      for (const svg of plot.querySelectorAll("svg")) svg.setAttribute("aria-hidden", "true");
      box.dataset.chart = "drawn";
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
drawChart();
