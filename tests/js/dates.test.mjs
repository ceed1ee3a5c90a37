import "./i18n-setup.mjs";
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

// ------------------------------------------------------------ dates in the reader's locale

import {
  EARLIER_DAYS,
  addDays,
  earlierFeltAt,
  formatDate,
  formatDateTime,
  formatTime,
  fromZonedLocal,
  isoInZone,
} from "../../frontend/dates.js";

test("the short form follows the locale: 12/5/2026 in the US, 05/12/2026 in Britain", () => {
  assert.equal(formatDate("2026-12-05", { style: "short", locale: "en-US" }), "12/5/2026");
  assert.equal(formatDate("2026-12-05", { style: "short", locale: "en-GB" }), "05/12/2026");
  assert.equal(formatDate("2026-12-05", { style: "short", locale: "de-DE" }), "5.12.2026");
});

test("the long form names the weekday and the month, in the locale's order", () => {
  assert.equal(formatDate("2026-12-05", { locale: "en-US" }), "Sat, Dec 5, 2026");
  assert.equal(formatDate("2026-12-05", { locale: "en-GB" }), "Sat, 5 Dec 2026");
  // A calendar date is no moment: the same day whatever the device's zone.
  assert.equal(formatDate("2026-12-05T23:30:00Z", { locale: "en-GB" }), "Sat, 5 Dec 2026");
});

test("a moment is written in the patient's zone, with the locale's clock", () => {
  const moment = "2026-12-05T20:30:00Z";
  assert.equal(formatDateTime(moment, "Europe/Berlin", { locale: "en-US" }), "Sat, Dec 5, 2026, 9:30 PM");
  assert.equal(formatDateTime(moment, "Europe/Berlin", { locale: "en-GB" }), "Sat, 5 Dec 2026, 21:30");
  assert.equal(
    formatDateTime(moment, "America/New_York", { style: "short", locale: "en-US" }),
    "12/5/2026, 3:30 PM",
  );
  assert.equal(formatTime(moment, "Asia/Kolkata", { locale: "en-GB" }), "02:00");
  // A zone this browser does not know falls back to UTC rather than throwing.
  assert.equal(formatTime(moment, "Mars/Olympus_Mons", { locale: "en-GB" }), "20:30");
});

test("addDays counts calendar days across months and DST", () => {
  assert.equal(addDays("2026-03-01", -7), "2026-02-22");
  assert.equal(addDays("2026-03-28", 2), "2026-03-30");
});

test("isoInZone writes a moment as the zone's wall time with its offset", () => {
  assert.equal(isoInZone(new Date("2026-01-01T03:00:00Z"), "America/New_York"), "2025-12-31T22:00:00-05:00");
  assert.equal(isoInZone(new Date("2026-01-01T03:00:00Z"), "Asia/Kolkata"), "2026-01-01T08:30:00+05:30");
  assert.equal(isoInZone(new Date("2026-03-29T01:30:00Z"), "Europe/Berlin"), "2026-03-29T03:30:00+02:00");
});

test("a wall time in the patient's zone becomes its moment, on clock-change days too", () => {
  const at = (date, time, zone) => fromZonedLocal(date, time, zone).toISOString();
  assert.equal(at("2026-05-12", "21:30", "Europe/Berlin"), "2026-05-12T19:30:00.000Z");
  assert.equal(at("2026-05-12", "21:30", "America/New_York"), "2026-05-13T01:30:00.000Z");
  // 29 March 2026 in Berlin: 02:00-03:00 does not exist (read with the offset before it).
  assert.equal(at("2026-03-29", "01:30", "Europe/Berlin"), "2026-03-29T00:30:00.000Z");
  assert.equal(at("2026-03-29", "02:30", "Europe/Berlin"), "2026-03-29T01:30:00.000Z");
  assert.equal(at("2026-03-29", "12:00", "Europe/Berlin"), "2026-03-29T10:00:00.000Z");
  // 25 October 2026: 02:00-03:00 happens twice; the first one is taken.
  assert.equal(at("2026-10-25", "02:30", "Europe/Berlin"), "2026-10-25T00:30:00.000Z");
  assert.equal(at("2026-10-25", "12:00", "Europe/Berlin"), "2026-10-25T11:00:00.000Z");
});

test("an earlier check-in: today or up to 7 days back, never later than now", () => {
  const now = new Date("2026-05-12T07:00:00Z"); // 09:00 in Berlin, 03:00 in New York
  const berlin = (date, time) => earlierFeltAt({ date, time, now, timeZone: "Europe/Berlin" });
  assert.equal(EARLIER_DAYS, 7);
  assert.deepEqual(berlin("2026-05-11", "21:00"), { felt_at: "2026-05-11T21:00:00+02:00" });
  assert.deepEqual(berlin("2026-05-12", "08:45"), { felt_at: "2026-05-12T08:45:00+02:00" });
  assert.deepEqual(berlin("2026-05-05", "00:00"), { felt_at: "2026-05-05T00:00:00+02:00" });
  assert.equal(berlin("2026-05-04", "23:59").field, "date");
  assert.match(berlin("2026-05-04", "23:59").error, /7 days at most, to .*2026/);
  assert.deepEqual(berlin("2026-05-12", "09:30"), {
    field: "time",
    error: "That time has not come yet. Choose an earlier time.",
  });
  assert.equal(berlin("2026-05-13", "08:00").field, "date");
  assert.deepEqual(berlin("", "08:00"), { field: "date", error: "Choose the day." });
  assert.deepEqual(berlin("2026-05-11", ""), { field: "time", error: "Choose the time." });
  // "Today" is the patient's: at 03:00 in New York it is still 12 May, and 11 May is
  // yesterday, whatever the device's zone.
  assert.deepEqual(
    earlierFeltAt({ date: "2026-05-11", time: "22:00", now, timeZone: "America/New_York" }),
    { felt_at: "2026-05-11T22:00:00-04:00" },
  );
});
