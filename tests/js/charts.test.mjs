// The chart's words in the reader's format, and the line a tapped point shows.
import assert from "node:assert/strict";
import { test } from "node:test";

import "./i18n-setup.mjs";

import { localDates, localiseFigure, pointsText } from "../../frontend/charts.js";

test("ISO dates in a figure's text are written the reader's way", () => {
  // node's own locale: the same function the browser runs, with the browser's language.
  const short = new Intl.DateTimeFormat(undefined, {
    year: "numeric",
    month: "numeric",
    day: "numeric",
    timeZone: "UTC",
  }).format(new Date(Date.UTC(2026, 4, 12)));
  assert.equal(localDates("Visit 1 (2026-05-12)"), `Visit 1 (${short})`);
  assert.equal(localDates(null), null);
  const figure = localiseFigure({
    data: [
      {
        name: "Visit 1 (2026-05-12)",
        customdata: [["2026-05-12", "1 entry", "50 %"], [null, "no entries", "—"]],
        text: ["Pain 3 on 2026-05-12 (1 entry)", null],
        x: [0, 1],
        y: [3, null],
      },
    ],
    layout: { title: { text: "Injection on 2026-05-12 · baseline 6/10" }, height: 380 },
  });
  const [trace] = figure.data;
  assert.equal(trace.name, `Visit 1 (${short})`);
  assert.deepEqual(trace.customdata[0], [short, "1 entry", "50 %"]);
  assert.deepEqual(trace.customdata[1], [null, "no entries", "—"]);
  assert.doesNotMatch(trace.text[0], /2026-05-12/);
  assert.equal(trace.text[1], null);
  assert.doesNotMatch(figure.layout.title.text, /2026-05-12/);
  assert.deepEqual(trace.x, [0, 1]);
});

test("a tap says the values of the day tapped, in the legend's order, without repeats", () => {
  const pain = { text: ["Pain 3 (1 entry)", "Pain 4 (2 entries)"] };
  const soreness = { text: ["Soreness 2", "Soreness 5"] };
  const flag = { text: ["No entries for 3 days."] };
  assert.equal(
    pointsText([
      { data: soreness, curveNumber: 1, pointIndex: 1, x: 1 },
      { data: pain, curveNumber: 0, pointIndex: 1, x: 1 },
      { data: flag, curveNumber: 4, pointIndex: 0, x: 0 }, // another day: not this tap's
      { data: pain, curveNumber: 0, pointIndex: 1, x: 1 },
      { data: { text: undefined }, curveNumber: 2, pointIndex: 0, x: 1 },
    ]),
    "Day 1: Pain 4 (2 entries); Soreness 5.",
  );
  assert.equal(
    pointsText([{ data: flag, curveNumber: 4, pointIndex: 0, x: 2 }]),
    "Day 2: No entries for 3 days.",
  );
  assert.equal(pointsText([]), "");
});
