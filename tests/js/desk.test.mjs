// The desk table's flags column, and phone-width charts with a legend at the figure's foot.
import "./i18n-setup.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";

import "./i18n-setup.mjs";

import { fitToWidth } from "../../frontend/charts.js";
import { FLAG_ORDER, firstPageNote, flagsCell } from "../../frontend/views/patients.js";

test("only open flags count", () => {
  const row = {
    flags: [
      { code: "not_logging", state: "open" },
      { code: "soreness_severe", state: "acknowledged" },
      { code: "no_response", state: "open" },
      { code: "soreness_rising", state: "resolved" },
    ],
  };
  // two open; the worst open one is named, not the acknowledged severe soreness
  assert.equal(flagsCell(row), "2 · No response by day 7");
  assert.equal(flagsCell({ flags: [] }), "");
  assert.equal(flagsCell({}), "");
});

test("the worst flag follows the server's weights, worst first", () => {
  assert.deepEqual(FLAG_ORDER, [
    "soreness_severe",
    "worse_than_baseline",
    "large_bruise",
    "soreness_rising",
    "no_response",
    "not_logging",
  ]);
  const row = {
    flags: [
      { code: "not_logging", state: "open" },
      { code: "large_bruise", state: "open" },
    ],
  };
  assert.equal(flagsCell(row), "2 · Large bruise");
});

test("on a phone a legend at the figure's foot stays there; one in plot fractions moves down", () => {
  const foot = { orientation: "h", yref: "container", y: 0, yanchor: "bottom" };
  assert.deepEqual(fitToWidth({ legend: foot, xaxis: { dtick: 1 } }, 360).legend, foot);
  const old = { orientation: "h", y: -0.18 };
  assert.equal(fitToWidth({ legend: old, xaxis: {} }, 360).legend.y, -0.32);
  // at 520 px and up the server's layout is kept as it is
  const layout = { legend: foot };
  assert.equal(fitToWidth(layout, 1280), layout);
});

test("a list cut at the first page says so", () => {
  const rows = Array.from({ length: 100 }, (_, i) => ({ id: i }));
  assert.equal(
    firstPageNote({ count: 240, results: rows }),
    " (the first 100 shown: search or filter to find the others)",
  );
  assert.equal(firstPageNote({ count: 100, results: rows }), "");
  assert.equal(firstPageNote({ results: [] }), "");
});
