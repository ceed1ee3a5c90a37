// Date maths for check-ins: DOM-free so that `node --test tests/js/` covers it.

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

/** "Tue 3 Mar, 09:30" in the given zone, for lists of check-ins. */
export function formatDateTime(iso, timeZone = undefined) {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: usableTimeZone(timeZone),
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  }).format(new Date(iso));
}

/** "3 Mar 2026" from YYYY-MM-DD. */
export function formatDate(isoDate) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Intl.DateTimeFormat("en-GB", {
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  }).format(new Date(Date.UTC(y, m - 1, d)));
}
