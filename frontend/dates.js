// Date maths for check-ins: DOM-free so that `node --test tests/js/` covers it.

import { locale, t } from "./i18n.js";

const pad = (n, width = 2) => String(Math.trunc(Math.abs(n))).padStart(width, "0");

/** "2026-03-01T09:30:00+01:00": the moment `date` in the device's local time, with offset. */
export function isoWithOffset(date = new Date()) {
  const offset = -date.getTimezoneOffset(); // minutes east of UTC
  const sign = offset >= 0 ? "+" : "-";
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `${sign}${pad(offset / 60)}:${pad(offset % 60)}`
  );
}

const knownZones = new Map();

/**
 * `timeZone` if this browser's Intl knows it, else "UTC" (undefined stays undefined: the
 * device's zone). The server stores only names browsers know, but a name from an older
 * server, or one this browser's older ICU lacks, must not throw a RangeError that takes a
 * whole screen (the physician's patient list) down with it.
 */
export function usableTimeZone(timeZone) {
  if (timeZone === undefined || timeZone === null || timeZone === "") return undefined;
  if (!knownZones.has(timeZone)) {
    let known = true;
    try {
      new Intl.DateTimeFormat("en", { timeZone });
    } catch {
      known = false;
    }
    knownZones.set(timeZone, known);
  }
  return knownZones.get(timeZone) ? timeZone : "UTC";
}

/** The calendar date (YYYY-MM-DD) of `date` in an IANA time zone (the device's if none). */
export function localDate(date = new Date(), timeZone = undefined) {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: usableTimeZone(timeZone),
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).formatToParts(date);
  const get = (type) => parts.find((p) => p.type === type).value;
  return `${get("year")}-${get("month")}-${get("day")}`;
}

function dayNumber(isoDate) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return Date.UTC(y, m - 1, d) / 86_400_000;
}

/** Whole calendar days from `earlier` to `later` (both YYYY-MM-DD). */
export function daysBetween(earlier, later) {
  return Math.round(dayNumber(later) - dayNumber(earlier));
}

/**
 * Days since the most recent visit on or before `today` (day 0 = the visit's local date),
 * or null when there is none. `visits` carry `local_date` (patient-local, from the server).
 */
export function daysSinceLastVisit(visits, today) {
  const past = visits
    .map((v) => v.local_date)
    .filter((d) => d && daysBetween(d, today) >= 0)
    .sort();
  return past.length ? daysBetween(past[past.length - 1], today) : null;
}

/** The value for an <input type="datetime-local"> showing `date` in device-local time. */
export function datetimeLocalValue(date = new Date()) {
  return isoWithOffset(date).slice(0, 16);
}

/** Parses a datetime-local value (device-local) back into an ISO string with offset. */
export function fromDatetimeLocal(value) {
  const [datePart, timePart] = value.split("T");
  const [y, m, d] = datePart.split("-").map(Number);
  const [hh, mm] = timePart.split(":").map(Number);
  return isoWithOffset(new Date(y, m - 1, d, hh, mm, 0));
}

// ------------------------------------------------------------------------ writing dates
// Every date the app shows goes through these, in the reader's own locale (the app's
// language with the browser's region: "5/12/2026" to a US reader, "12/05/2026" to a British
// one, "12/5/2026" to a reader of the Spanish app in the US), in two forms:
// short (numeric, for tables and dense lists) and long (weekday and month name, for
// sentences and headings). Times follow the locale's clock (9:30 PM or 21:30).

/** The locale dates are written in: the app's language, in the browser's region (i18n.js). */
export function userLocale() {
  return locale();
}

const DATE_STYLES = {
  short: { year: "numeric", month: "numeric", day: "numeric" },
  long: { weekday: "short", year: "numeric", month: "short", day: "numeric" },
};

const formatters = new Map();
function formatter(locale, options) {
  const key = `${locale ?? ""}|${JSON.stringify(options)}`;
  let format = formatters.get(key);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat(locale, options);
    } catch {
      format = new Intl.DateTimeFormat(undefined, options); // a tag this ICU cannot read
    }
    formatters.set(key, format);
  }
  return format;
}

const styleOf = (style) => DATE_STYLES[style] ?? DATE_STYLES.long;

const times = new Map();
/** The locale's own time of day (timeStyle "short"), as fields that combine with a date. */
function timeOf(locale) {
  if (!times.has(locale)) {
    const hour = formatter(locale, { timeStyle: "short", timeZone: "UTC" })
      .formatToParts(new Date(Date.UTC(2000, 0, 1, 2, 5)))
      .find((part) => part.type === "hour")?.value;
    times.set(locale, { hour: hour?.length === 2 ? "2-digit" : "numeric", minute: "2-digit" });
  }
  return times.get(locale);
}

/**
 * A calendar date (YYYY-MM-DD, or the date part of an ISO string) in the short
 * ("5/12/2026") or long ("Tue, May 12, 2026") form. Not a moment: no time zone applies.
 */
export function formatDate(isoDate, { style = "long", locale = userLocale() } = {}) {
  const [y, m, d] = String(isoDate).slice(0, 10).split("-").map(Number);
  return formatter(locale, { ...styleOf(style), timeZone: "UTC" }).format(
    new Date(Date.UTC(y, m - 1, d)),
  );
}

/** A moment (ISO string or Date) as date and time in `timeZone` (the device's if none). */
export function formatDateTime(
  iso,
  timeZone = undefined,
  { style = "long", locale = userLocale() } = {},
) {
  return formatter(locale, {
    ...styleOf(style),
    ...timeOf(locale),
    timeZone: usableTimeZone(timeZone),
  }).format(new Date(iso));
}

/** The time of day of a moment (ISO string or Date) in `timeZone`: "9:30 PM", "21:30". */
export function formatTime(iso, timeZone = undefined, { locale = userLocale() } = {}) {
  return formatter(locale, { timeStyle: "short", timeZone: usableTimeZone(timeZone) }).format(
    new Date(iso),
  );
}

// ------------------------------------------------------------------- an earlier check-in

/** How many days back a check-in may be logged from the app ("I missed last night"). */
export const EARLIER_DAYS = 7;

/** YYYY-MM-DD plus `days` calendar days (negative: back). */
export function addDays(isoDate, days) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** The UTC offset of `timeZone` at the moment `ms` (epoch milliseconds), in milliseconds. */
function offsetAt(ms, timeZone) {
  const parts = formatter("en-US", {
    timeZone: usableTimeZone(timeZone),
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  }).formatToParts(new Date(ms));
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return wall - Math.floor(ms / 1000) * 1000;
}

/**
 * "2026-05-12T21:30:00+02:00": the moment `date` as the wall time of `timeZone` (the
 * device's if none), with that zone's offset then.
 */
export function isoInZone(date, timeZone = undefined) {
  if (!usableTimeZone(timeZone)) return isoWithOffset(date);
  const ms = date.getTime();
  const offset = Math.round(offsetAt(ms, timeZone) / 60_000);
  const wall = new Date(ms + offset * 60_000);
  const sign = offset >= 0 ? "+" : "-";
  return (
    `${wall.getUTCFullYear()}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}` +
    `T${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}` +
    `${sign}${pad(Math.abs(offset) / 60)}:${pad(Math.abs(offset) % 60)}`
  );
}

/**
 * The moment a wall-clock date and time (YYYY-MM-DD, HH:MM) happen in `timeZone` (the
 * device's if none). A time that a clock change skips or repeats is read with the offset in
 * force just before the change.
 */
export function fromZonedLocal(isoDate, time, timeZone = undefined) {
  const [y, m, d] = isoDate.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  if (!usableTimeZone(timeZone)) return new Date(y, m - 1, d, hh, mm, 0);
  const wall = Date.UTC(y, m - 1, d, hh, mm, 0);
  const before = offsetAt(wall - 86_400_000, timeZone); // the offset the day before
  const guess = wall - before;
  const after = offsetAt(guess, timeZone);
  if (after === before) return new Date(guess);
  const moved = wall - after;
  // Exists with the new offset (a normal time on a day the clocks changed earlier)?
  return new Date(offsetAt(moved, timeZone) === after ? moved : guess);
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const TIME_RE = /^\d{2}:\d{2}(:\d{2})?$/;

/**
 * An earlier check-in's time, from the day and time the patient chose in their own time
 * zone: {felt_at} (ISO with that zone's offset), or {field, error} in the patient's words.
 * Today or up to EARLIER_DAYS days back, never later than `now`.
 */
export function earlierFeltAt({ date, time, now = new Date(), timeZone = undefined }) {
  const today = localDate(now, timeZone);
  const first = addDays(today, -EARLIER_DAYS);
  if (!date || !DATE_RE.test(date)) return { field: "date", error: t("dates.chooseDay") };
  if (date > today) return { field: "date", error: t("dates.dayNotYet") };
  if (date < first) {
    return {
      field: "date",
      error: t("dates.tooEarly", { count: EARLIER_DAYS, date: formatDate(first) }),
    };
  }
  if (!time || !TIME_RE.test(time)) return { field: "time", error: t("dates.chooseTime") };
  const moment = fromZonedLocal(date, time.slice(0, 5), timeZone);
  if (moment.getTime() > now.getTime()) return { field: "time", error: t("dates.timeNotYet") };
  return { felt_at: isoInZone(moment, timeZone) };
}
