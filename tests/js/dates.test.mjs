import assert from "node:assert/strict";
import { test } from "node:test";

import {
  daysBetween,
  daysSinceLastVisit,
  fromDatetimeLocal,
  isoWithOffset,
  localDate,
} from "../../frontend/dates.js";

test("isoWithOffset keeps the device's local time and offset", () => {
  const date = new Date("2026-03-01T08:30:05Z");
  const text = isoWithOffset(date);
  assert.match(text, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
  assert.equal(new Date(text).getTime(), date.getTime());
});

test("localDate is the calendar date in the patient's zone", () => {
  const instant = new Date("2026-03-01T23:30:00Z");
  assert.equal(localDate(instant, "UTC"), "2026-03-01");
  assert.equal(localDate(instant, "Europe/Berlin"), "2026-03-02");
  assert.equal(localDate(instant, "America/New_York"), "2026-03-01");
});

test("daysBetween counts calendar days, across DST and month ends", () => {
  assert.equal(daysBetween("2026-03-28", "2026-03-30"), 2); // EU DST starts 29 March
  assert.equal(daysBetween("2026-02-27", "2026-03-01"), 2);
  assert.equal(daysBetween("2026-03-01", "2026-03-01"), 0);
  assert.equal(daysBetween("2026-03-02", "2026-03-01"), -1);
});

test("days since the last visit ignores future visits; none without a visit", () => {
  const visits = [{ local_date: "2026-03-01" }, { local_date: "2026-03-10" }, { local_date: "2026-04-01" }];
  assert.equal(daysSinceLastVisit(visits, "2026-03-12"), 2);
  assert.equal(daysSinceLastVisit(visits, "2026-03-10"), 0);
  assert.equal(daysSinceLastVisit(visits, "2026-02-01"), null);
  assert.equal(daysSinceLastVisit([], "2026-03-12"), null);
});

test("a datetime-local value becomes the same local moment with its offset", () => {
  const text = fromDatetimeLocal("2026-03-01T09:30");
  const back = new Date(text);
  assert.equal(back.getHours(), 9);
  assert.equal(back.getMinutes(), 30);
  assert.match(text, /[+-]\d\d:\d\d$/);
});
