// Words for numbers and codes: pain anchors, relief sentences, and the labels of the API's
// enums, in the reader's language (i18n.js). DOM-free (tested with node).
//
// The label maps (CONDITIONS, FLAG_TITLES…) keep the shape they always had, an object from
// the API's values to words, but each word is read from the catalog when it is asked for
// (a getter), so a map read after a change of language speaks the new one.

import { formatNumber, t } from "./i18n.js";

/**
 * {code: words} for `codes`, each read from the catalog at `${prefix}.${code}` whenever the
 * property is read (Object.entries and label() included).
 */
function labels(prefix, codes) {
  const map = {};
  for (const code of codes) {
    Object.defineProperty(map, code, { enumerable: true, get: () => t(`${prefix}.${code}`) });
  }
  return Object.freeze(map);
}

/** Verbal anchor for a 0-10 NRS score. */
export function painWord(score) {
  if (score === null || score === undefined) return "";
  if (score === 0) return t("format.pain.none");
  if (score <= 3) return t("format.pain.mild");
  if (score <= 6) return t("format.pain.moderate");
  if (score <= 9) return t("format.pain.severe");
  return t("format.pain.worst");
}

export function sorenessWord(score) {
  if (score === null || score === undefined) return "";
  if (score === 0) return t("format.soreness.none");
  if (score <= 3) return t("format.soreness.little");
  if (score <= 6) return t("format.soreness.sore");
  if (score <= 9) return t("format.soreness.very");
  return t("format.soreness.worst");
}

/** 3 → "3", 2.5 → "2.5" ("2,5" in Spanish): one decimal at most, as the server rounds. */
export function num(value) {
  if (value === null || value === undefined) return "—";
  return formatNumber(Math.round(value * 10) / 10);
}

/** Whole percent, as patients read it: 56.7 → "57 %". */
export function percent(value) {
  return t("format.percent", { value: Math.round(Math.abs(value)) });
}

const known = (value) => value !== null && value !== undefined;

/**
 * One line for a patient about a visit's latest day, e.g.
 * "Pain 3 today, 57 % lower than before your injection".
 */
export function patientSummary(summary, today) {
  if (!summary || !known(summary.latest_pain)) return t("format.summary.none");
  const when =
    summary.latest_date === today
      ? t("format.summary.today")
      : known(summary.latest_day)
        ? t("format.summary.onDay", { day: summary.latest_day })
        : t("format.summary.lastCheckin");
  const params = { pain: Math.round(summary.latest_pain * 10) / 10, when };
  const rel = summary.latest_relief;
  if (known(rel)) {
    if (Math.round(rel) === 0) return t("format.summary.same", params);
    const key = rel > 0 ? "format.summary.percentLower" : "format.summary.percentHigher";
    return t(key, { ...params, percent: Math.round(Math.abs(rel)) });
  }
  const change = summary.latest_change;
  if (known(change) && summary.baseline !== null) {
    if (Math.round(change * 10) === 0) return t("format.summary.same", params);
    const points = Math.abs(Math.round(change * 10) / 10);
    // change = pain - baseline: negative means lower
    const key = change < 0 ? "format.summary.pointsLower" : "format.summary.pointsHigher";
    return t(key, { ...params, count: points });
  }
  return t("format.summary.pain", params);
}

/** "Latest (day 5)" or "Latest": whose day a physician's relief label is about. */
function latestHead(latest) {
  const day = latest.latest_day;
  return known(day) ? t("format.latestDay", { day }) : t("format.latest");
}

/**
 * A physician's label for the latest relief: the latest logged day's, said so ("Latest
 * (day 5): 40 % relief, pain 3"), so it is not read as the responder status beside it.
 */
export function reliefLabel(latest) {
  if (!latest) return t("format.relief.noVisit");
  if (!known(latest.latest_relief)) {
    return known(latest.latest_pain)
      ? t("format.relief.noBaseline", { latest: latestHead(latest), pain: num(latest.latest_pain) })
      : t("format.relief.noCheckins");
  }
  return t("format.relief.value", {
    latest: latestHead(latest),
    relief: Math.round(latest.latest_relief),
    pain: num(latest.latest_pain),
  });
}

/**
 * Responder status over days 3-14 (the therapeutic read), labelled as such so it is not
 * read as the latest day's relief; per-patient use is a guide (IMMPACT thresholds are
 * group-level).
 */
export function responderLabel(latest) {
  if (!latest) return { text: "—", tone: "neutral" };
  if (latest.substantial_responder) {
    return { text: t("format.responder.substantial"), tone: "good" };
  }
  if (latest.responder) return { text: t("format.responder.responding"), tone: "good" };
  if (latest.responder === false) {
    if (latest.days_since_visit !== null && latest.days_since_visit < 3) {
      return { text: t("format.responder.tooEarly"), tone: "neutral" };
    }
    return { text: t("format.responder.notYet"), tone: "warn" };
  }
  return { text: t("format.responder.unknown"), tone: "neutral" };
}

/**
 * When relief first reached 30 %: on days 0-2 that is the anaesthetic, not the
 * injection's therapeutic effect, so it says so rather than standing as "≥ 30 % from day 0"
 * beside "not responding yet".
 */
export function onsetLabel(summary) {
  const day = summary?.onset_day;
  if (day === null || day === undefined) return null;
  if (day < 3) return t("format.onset.early", { day });
  return t("format.onset.from", { day });
}

/**
 * A physician's one-line summary of a visit's recovery, e.g. "Baseline 6 (recorded at the
 * visit) · Latest (day 5): pain 3, 50 % relief · ≥ 30 % from day 3 · Days 3–14: substantial
 * relief (≥ 50 %)."
 */
export function physicianSummary(summary) {
  if (!summary) return t("format.physician.none");
  const parts = [];
  if (known(summary.baseline)) {
    const source = label(BASELINE_SOURCES, summary.baseline_source) ?? "";
    parts.push(
      source
        ? t("format.physician.baselineFrom", { baseline: num(summary.baseline), source })
        : t("format.physician.baseline", { baseline: num(summary.baseline) }),
    );
  } else parts.push(t("format.physician.noBaseline"));
  if (known(summary.latest_pain)) {
    const params = { latest: latestHead(summary), pain: num(summary.latest_pain) };
    parts.push(
      known(summary.latest_relief)
        ? t("format.physician.latestRelief", { ...params, relief: Math.round(summary.latest_relief) })
        : t("format.physician.latest", params),
    );
  } else parts.push(t("format.physician.noCheckins"));
  const onset = onsetLabel(summary);
  if (onset) parts.push(onset);
  parts.push(responderLabel(summary).text);
  return t("format.physician.summary", { parts: parts.join(" · ") });
}

// ------------------------------------------------------------------ flags (physician)

/** A short name for each flag code, for the physician's list of flags. */
export const FLAG_TITLES = labels("format.flagTitle", [
  "soreness_rising",
  "soreness_severe",
  "large_bruise",
  "worse_than_baseline",
  "no_response",
  "not_logging",
]);

/** Each flag state (`state` of a recovery flag) in words. */
export const FLAG_STATES = labels("format.flagState", ["open", "acknowledged", "resolved"]);

/**
 * The line under a flag that says what became of it: when and why it resolved, or who
 * acknowledged it and when (the note is shown on its own, as the physician wrote it).
 * ``formatDate``/``formatDateTime`` are passed in (dates.js) so this stays pure.
 */
export function flagStateLine(flag, { formatDate, formatDateTime }) {
  if (flag.state === "resolved") {
    const why = (flag.resolution ?? "").replace(/^Resolved:\s*/, "");
    const on = flag.resolved_on ? formatDate(flag.resolved_on) : null;
    if (why) {
      return on
        ? t("format.flag.resolvedOnWhy", { date: on, why })
        : t("format.flag.resolvedWhy", { why });
    }
    return on ? t("format.flag.resolvedOn", { date: on }) : t("format.flag.resolved");
  }
  if (flag.acknowledged) {
    return t("format.flag.acknowledged", {
      name: flag.acknowledged.by,
      when: formatDateTime(flag.acknowledged.at),
    });
  }
  return t("format.flag.open");
}

/** The flags still needing a physician (state "open"), e.g. for a list's flag column. */
export function openFlags(flags) {
  return (flags ?? []).filter((flag) => flag.state === "open");
}

/** "Day 4 (5 March)": when the flag was raised. */
export function flagRaisedLine(flag, { formatDate }) {
  return flag.raised_on
    ? t("format.flag.raisedOn", { day: flag.day, date: formatDate(flag.raised_on) })
    : t("format.flag.raised", { day: flag.day });
}

// ------------------------------------------------------------------ labels of API enums
// Every map from an API enum's values to words lives here, keyed exactly by the values the
// API sends; tests/js/labels.test.mjs holds each to its enum in the OpenAPI schema. (Here
// rather than in a module of their own: the check-in form needs BRUISING, and this module
// is already among the few the form waits for.) The wording is the models' (the printed
// report's) unless noted.

/** Where a visit's baseline pain came from (recovery summary `baseline_source`). */
export const BASELINE_SOURCES = labels("format.baselineSource", ["recorded", "prior_entries"]);

export const CONDITIONS = labels("format.condition", [
  "myofascial_pain",
  "fibromyalgia",
  "tension_headache",
  "neck_pain",
  "low_back_pain",
  "extremity_pain",
]);

export const BODY_REGIONS = labels("format.bodyRegion", [
  "head",
  "neck",
  "shoulder",
  "upper_back",
  "low_back",
  "chest",
  "abdomen",
  "hip_buttock",
  "arm",
  "leg",
]);

export const SIDES = labels("format.side", ["left", "right", "bilateral", "midline"]);

export const INJECTATES = labels("format.injectate", ["lidocaine", "saline", "magnesium"]);

/** The check-in form's wording: "2 × 2 cm" reads more easily than the model's "4 cm²". */
export const BRUISING = labels("format.bruising", ["none", "small", "large"]);

/** Patient wording for each flag code raised by the server (recovery analytics). */
export const FLAG_ADVICE = labels("format.flagAdvice", [
  "soreness_rising",
  "soreness_severe",
  "large_bruise",
  "worse_than_baseline",
  "no_response",
  "not_logging",
]);

/** "neck_pain" → "Neck pain" for any of the label maps, falling back to the code. */
export function label(map, code) {
  return map[code] ?? code;
}

// ------------------------------------------------------------------ refused check-ins

/**
 * A refusal's field error in the patient's words, from the field and the server's message
 * (the API sends validator text such as "Ensure this value is less than or equal to 10.",
 * which a patient should not have to decode; the server may write it in either language).
 */
const REFUSAL_WORDS = {
  felt_at: (message) =>
    /future|futur/i.test(message)
      ? t("format.refusal.future")
      : /after|before|despu|antes/i.test(message)
        ? t("format.refusal.tooOld")
        : t("format.refusal.time"),
  pain: () => t("format.refusal.pain"),
  soreness: () => t("format.refusal.soreness"),
  bruising: () => t("format.refusal.bruising"),
  iced: () => t("format.refusal.iced"),
  heated: () => t("format.refusal.heated"),
  strenuous_activity: () => t("format.refusal.strenuous"),
  notes: (message) =>
    /null|nul/i.test(message)
      ? t("format.refusal.hiddenCharacter")
      : /more than|too long|characters|caracteres|más de/i.test(message)
        ? t("format.refusal.notesLong", { max: 5000 })
        : t("format.refusal.notes"),
  id: () => t("format.refusal.id"),
};

/** What to tell the patient about a refused outbox item: one line per problem, no repeats. */
export function refusalMessages(item) {
  const refused = item?.refused;
  if (!refused) return [];
  const lines = [];
  for (const [field, messages] of Object.entries(refused.fields || {})) {
    const words = REFUSAL_WORDS[field];
    for (const message of [].concat(messages)) {
      lines.push(words ? words(String(message)) : t("format.refusal.fallback"));
    }
  }
  const unique = lines.filter((line, i) => lines.indexOf(line) === i);
  if (unique.length) return unique;
  return refused.status === "not_found"
    ? [t("format.refusal.notFound")]
    : [t("format.refusal.refused")];
}

/** 4500 → "4,500" in the reader's own locale. */
export function count(value) {
  return formatNumber(value);
}
