// Words for numbers and codes: pain anchors, relief sentences, and the labels of the API's
// enums. DOM-free (tested with node).

/** Verbal anchor for a 0-10 NRS score. */
export function painWord(score) {
  if (score === null || score === undefined) return "";
  if (score === 0) return "No pain";
  if (score <= 3) return "Mild";
  if (score <= 6) return "Moderate";
  if (score <= 9) return "Severe";
  return "Worst imaginable";
}

export function sorenessWord(score) {
  if (score === null || score === undefined) return "";
  if (score === 0) return "Not sore";
  if (score <= 3) return "A little sore";
  if (score <= 6) return "Sore";
  if (score <= 9) return "Very sore";
  return "Worst imaginable";
}

/** 3 → "3", 2.5 → "2.5" (one decimal at most, as the server rounds). */
export function num(value) {
  if (value === null || value === undefined) return "—";
  return String(Math.round(value * 10) / 10);
}

/** Whole percent, as patients read it: 56.7 → "57 %". */
export function percent(value) {
  return `${Math.round(Math.abs(value))} %`;
}

/**
 * One line for a patient about a visit's latest day, e.g.
 * "Pain 3 today, 57 % lower than before your injection".
 */
export function patientSummary(summary, today) {
  if (!summary || summary.latest_pain === null || summary.latest_pain === undefined) {
    return "No check-ins since this injection yet.";
  }
  const when =
    summary.latest_date === today
      ? "today"
      : summary.latest_day === null || summary.latest_day === undefined
        ? "at your last check-in"
        : `on day ${summary.latest_day}`;
  const head = `Pain ${num(summary.latest_pain)} ${when}`;
  const rel = summary.latest_relief;
  if (rel !== null && rel !== undefined) {
    if (Math.round(rel) === 0) return `${head}, the same as before your injection`;
    return `${head}, ${percent(rel)} ${rel > 0 ? "lower" : "higher"} than before your injection`;
  }
  const change = summary.latest_change;
  if (change !== null && change !== undefined && summary.baseline !== null) {
    if (Math.round(change * 10) === 0) return `${head}, the same as before your injection`;
    const pts = Math.abs(Math.round(change * 10) / 10);
    const word = pts === 1 ? "point" : "points";
    // change = pain - baseline: negative means lower
    return `${head}, ${pts} ${word} ${change < 0 ? "lower" : "higher"} than before your injection`;
  }
  return head;
}

/**
 * A physician's label for the latest relief: the latest logged day's, said so ("Latest
 * (day 5): 40 % relief, pain 3"), so it is not read as the responder status beside it.
 */
export function reliefLabel(latest) {
  if (!latest) return "No visit yet";
  if (latest.latest_relief === null || latest.latest_relief === undefined) {
    return latest.latest_pain === null || latest.latest_pain === undefined
      ? "No check-ins since the visit"
      : `${latestHead(latest)}: pain ${num(latest.latest_pain)} (no baseline for % relief)`;
  }
  const r = Math.round(latest.latest_relief);
  return `${latestHead(latest)}: ${r} % relief, pain ${num(latest.latest_pain)}`;
}

function latestHead(latest) {
  const day = latest.latest_day;
  return day === null || day === undefined ? "Latest" : `Latest (day ${day})`;
}

/**
 * Responder status over days 3-14 (the therapeutic read), labelled as such so it is not
 * read as the latest day's relief; per-patient use is a guide (IMMPACT thresholds are
 * group-level).
 */
export function responderLabel(latest) {
  if (!latest) return { text: "—", tone: "neutral" };
  if (latest.substantial_responder) {
    return { text: "Days 3–14: substantial relief (≥ 50 %)", tone: "good" };
  }
  if (latest.responder) return { text: "Days 3–14: responding (≥ 30 %)", tone: "good" };
  if (latest.responder === false) {
    if (latest.days_since_visit !== null && latest.days_since_visit < 3) {
      return { text: "Too early to judge (before day 3)", tone: "neutral" };
    }
    return { text: "Days 3–14: not responding yet (< 30 %)", tone: "warn" };
  }
  return { text: "Relief unknown", tone: "neutral" };
}

/**
 * When relief first reached 30 %: on days 0-2 that is the anaesthetic, not the
 * injection's therapeutic effect, so it says so rather than standing as "≥ 30 % from day 0"
 * beside "not responding yet".
 */
export function onsetLabel(summary) {
  const day = summary?.onset_day;
  if (day === null || day === undefined) return null;
  if (day < 3) return `early relief on day ${day} (anaesthetic)`;
  return `≥ 30 % from day ${day}`;
}

/**
 * A physician's one-line summary of a visit's recovery, e.g. "Baseline 6 (recorded at the
 * visit) · Latest (day 5): pain 3, 50 % relief · ≥ 30 % from day 3 · Days 3–14: substantial
 * relief (≥ 50 %)."
 */
export function physicianSummary(summary) {
  if (!summary) return "No recovery data yet.";
  const parts = [];
  if (summary.baseline !== null && summary.baseline !== undefined) {
    const source = label(BASELINE_SOURCES, summary.baseline_source) ?? "";
    parts.push(`Baseline ${num(summary.baseline)}${source ? ` (${source})` : ""}`);
  } else parts.push("No baseline: absolute change only");
  if (summary.latest_pain !== null && summary.latest_pain !== undefined) {
    const relief =
      summary.latest_relief === null || summary.latest_relief === undefined
        ? ""
        : `, ${Math.round(summary.latest_relief)} % relief`;
    parts.push(`${latestHead(summary)}: pain ${num(summary.latest_pain)}${relief}`);
  } else parts.push("no check-ins since the visit");
  const onset = onsetLabel(summary);
  if (onset) parts.push(onset);
  parts.push(responderLabel(summary).text);
  return `${parts.join(" · ")}.`;
}

// ------------------------------------------------------------------ flags (physician)

/** A short name for each flag code, for the physician's list of flags. */
export const FLAG_TITLES = {
  soreness_rising: "Soreness rising after day 3",
  soreness_severe: "Severe soreness after day 3",
  large_bruise: "Large bruise",
  worse_than_baseline: "Pain above baseline",
  no_response: "No response by day 7",
  not_logging: "Not logging",
};

/** Each flag state (`state` of a recovery flag) in words. */
export const FLAG_STATES = {
  open: "Open",
  acknowledged: "Acknowledged",
  resolved: "Resolved",
};

/**
 * The line under a flag that says what became of it: when and why it resolved, or who
 * acknowledged it and when (the note is shown on its own, as the physician wrote it).
 * ``formatDate``/``formatDateTime`` are passed in (dates.js) so this stays pure.
 */
export function flagStateLine(flag, { formatDate, formatDateTime }) {
  if (flag.state === "resolved") {
    const why = (flag.resolution ?? "").replace(/^Resolved:\s*/, "");
    const on = flag.resolved_on ? ` on ${formatDate(flag.resolved_on)}` : "";
    return why ? `Resolved${on}: ${why}` : `Resolved${on}.`;
  }
  if (flag.acknowledged) {
    return `Acknowledged by ${flag.acknowledged.by}, ${formatDateTime(flag.acknowledged.at)}`;
  }
  return "Open: not yet acknowledged.";
}

/** The flags still needing a physician (state "open"), e.g. for a list's flag column. */
export function openFlags(flags) {
  return (flags ?? []).filter((flag) => flag.state === "open");
}

/** "Day 4 (5 March)": when the flag was raised. */
export function flagRaisedLine(flag, { formatDate }) {
  return flag.raised_on ? `Day ${flag.day} (${formatDate(flag.raised_on)})` : `Day ${flag.day}`;
}

// ------------------------------------------------------------------ labels of API enums
// Every map from an API enum's values to words lives here, keyed exactly by the values the
// API sends; tests/js/labels.test.mjs holds each to its enum in the OpenAPI schema. (Here
// rather than in a module of their own: the check-in form needs BRUISING, and this module
// is already among the few the form waits for.) The wording is the models' (the printed
// report's) unless noted.

/** Where a visit's baseline pain came from (recovery summary `baseline_source`). */
export const BASELINE_SOURCES = {
  recorded: "recorded at the visit",
  prior_entries: "mean of the patient's check-ins in the 7 days before",
};

export const CONDITIONS = {
  myofascial_pain: "Myofascial pain",
  fibromyalgia: "Fibromyalgia",
  tension_headache: "Tension headache",
  neck_pain: "Neck pain",
  low_back_pain: "Low back pain",
  extremity_pain: "Extremity pain",
};

export const BODY_REGIONS = {
  head: "Head and face",
  neck: "Neck",
  shoulder: "Shoulder",
  upper_back: "Upper back",
  low_back: "Low back",
  chest: "Chest",
  abdomen: "Abdomen",
  hip_buttock: "Hip and buttock",
  arm: "Arm and hand",
  leg: "Leg and foot",
};

export const SIDES = { left: "Left", right: "Right", bilateral: "Bilateral", midline: "Midline" };

export const INJECTATES = { lidocaine: "Lidocaine", saline: "Saline", magnesium: "Magnesium" };

/** The check-in form's wording: "2 × 2 cm" reads more easily than the model's "4 cm²". */
export const BRUISING = {
  none: "None",
  small: "Small",
  large: "Large (over 2 × 2 cm)",
};

/** Patient wording for each flag code raised by the server (recovery analytics). */
export const FLAG_ADVICE = {
  soreness_rising: "Your injection-site soreness went up after day 3.",
  soreness_severe: "Your injection-site soreness was 7 or more after day 3.",
  large_bruise: "You reported a large bruise.",
  worse_than_baseline: "Your pain was higher than before your injection on several days.",
  no_response: "Your pain has not improved by a third or more by day 7.",
  not_logging: "Some days have no check-in.",
};

/** "neck_pain" → "Neck pain" for any of the label maps, falling back to the code. */
export function label(map, code) {
  return map[code] ?? code;
}

// ------------------------------------------------------------------ refused check-ins

const whole = (name) => () => `${name} must be a whole number from 0 to 10.`;
const yesNo = (name) => () => `The answer to “${name}” could not be read.`;

/**
 * A refusal's field error in the patient's words, from the field and the server's message
 * (the API sends validator text such as "Ensure this value is less than or equal to 10.",
 * which a patient should not have to decode).
 */
const REFUSAL_WORDS = {
  felt_at: (message) =>
    /future/i.test(message)
      ? "Its time is later than now: this phone's clock may be set wrong."
      : /after|before/i.test(message)
        ? "Its date is too long ago: this phone's clock may be set wrong."
        : "Its time could not be read.",
  pain: whole("Pain"),
  soreness: whole("Soreness"),
  bruising: () => "Bruising must be none, small or large.",
  iced: yesNo("Used ice"),
  heated: yesNo("Used heat"),
  strenuous_activity: yesNo("Strenuous activity"),
  notes: (message) =>
    /null/i.test(message)
      ? "The notes contain a hidden character that cannot be saved. Retype them."
      : /more than|too long|characters/i.test(message)
        ? "The notes are too long: they can be up to 5,000 characters."
        : "The notes could not be saved as written.",
  id: () => "The clinic's server could not match this check-in. Discard it and check in again.",
};
const REFUSAL_FALLBACK = "Part of this check-in was not accepted. Correct it and send it again.";

/** What to tell the patient about a refused outbox item: one line per problem, no repeats. */
export function refusalMessages(item) {
  const refused = item?.refused;
  if (!refused) return [];
  const lines = [];
  for (const [field, messages] of Object.entries(refused.fields || {})) {
    const words = REFUSAL_WORDS[field];
    for (const message of [].concat(messages)) {
      lines.push(words ? words(String(message)) : REFUSAL_FALLBACK);
    }
  }
  const unique = lines.filter((line, i) => lines.indexOf(line) === i);
  if (unique.length) return unique;
  return refused.status === "not_found"
    ? ["The clinic's server does not accept this check-in from your account."]
    : ["The clinic's server did not accept this check-in."];
}

/** 4500 → "4,500" in the reader's own locale. */
export function count(value) {
  return new Intl.NumberFormat(globalThis.navigator?.language || undefined).format(value);
}
