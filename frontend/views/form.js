// The check-in form (new and edit): 0-10 one-thumb scales with verbal anchors, bruising,
// aftercare toggles and notes. Native radios and checkboxes, styled as large buttons, so
// keyboard and screen readers work without extra scripting.

import { h, uid } from "../dom.js";
import { BRUISING, painWord, sorenessWord } from "../format.js";
import { t } from "../i18n.js";

function scale({ name, legend, hint, low, high, word, value }) {
  const legendId = uid(name);
  const hintId = uid(`${name}-hint`);
  const errorId = uid(`${name}-error`);
  const output = h("p", { class: "scale-value", "aria-hidden": "true" });
  const show = (v) => {
    output.textContent = v === null ? t("form.chooseNumber") : t("form.scaleValue", { value: v, word: word(v) });
  };
  const options = [];
  for (let v = 0; v <= 10; v += 1) {
    const id = uid(`${name}-${v}`);
    const anchor = v === 0 ? low : v === 10 ? high : null;
    options.push(
      h(
        "span",
        { class: "scale-option" },
        h("input", {
          type: "radio",
          id,
          name,
          value: String(v),
          class: "visually-hidden",
          checked: value === v,
          onchange: () => show(v),
        }),
        h(
          "label",
          { for: id },
          String(v),
          anchor ? h("span", { class: "visually-hidden", text: ` ${anchor}` }) : null,
        ),
      ),
    );
  }
  show(value ?? null);
  return h(
    "fieldset",
    {
      class: "scale",
      "data-field": name,
      "aria-describedby": `${hintId} ${errorId}`,
    },
    h("legend", { id: legendId, text: legend }),
    h("p", { class: "hint", id: hintId, text: hint }),
    h("div", { class: "scale-options" }, options),
    h(
      "div",
      { class: "scale-anchors", "aria-hidden": "true" },
      h("span", { text: t("form.anchor", { value: 0, word: low }) }),
      h("span", { text: t("form.anchor", { value: 10, word: high }) }),
    ),
    output,
    h("p", { class: "message error", id: errorId, "data-error": name }),
  );
}

function choice({ name, legend, options, value }) {
  return h(
    "fieldset",
    { class: "choice", "data-field": name },
    h("legend", { text: legend }),
    h(
      "div",
      { class: "choice-options" },
      options.map(([v, text]) => {
        const id = uid(`${name}-${v}`);
        const input = h("input", {
          type: "radio",
          id,
          name,
          value: v,
          class: "visually-hidden",
          checked: value === v,
        });
        // The default as well as the state: form.reset() returns to the default, and a
        // radio checked only as a property (h() sets .checked) would be reset to nothing.
        input.defaultChecked = value === v;
        return h("span", { class: "choice-option" }, input, h("label", { for: id, text }));
      }),
    ),
  );
}

function toggle({ name, text, checked }) {
  const id = uid(name);
  return h(
    "span",
    { class: "toggle" },
    h("input", { type: "checkbox", id, name, class: "visually-hidden", checked }),
    h("label", { for: id, text }),
  );
}

const parts = new WeakMap(); // form -> its notes and when fields, for resetForm

export const NOTES_MAX = 5000;
// The counter shows from here; a screen reader hears it only at these marks, not per key.
const NOTES_NEAR = 4500;
const NOTES_MARKS = [NOTES_NEAR, NOTES_MAX - 100, NOTES_MAX];

/** The notes box with a counter near its limit (the browser stops typing at the limit). */
function notesField(notes) {
  const id = uid("notes");
  const countId = uid("notes-count");
  const textarea = h("textarea", {
    id,
    name: "notes",
    rows: "3",
    maxlength: String(NOTES_MAX),
    "aria-describedby": countId,
  });
  const counter = h("p", { class: "hint notes-count", id: countId, "data-notes-count": "" });
  const spoken = h("p", { class: "visually-hidden", "aria-live": "polite" });
  let heard = 0; // the highest mark already announced
  const update = () => {
    const length = textarea.value.length;
    if (length < NOTES_NEAR) {
      counter.textContent = "";
      heard = NOTES_MARKS.filter((mark) => length >= mark).at(-1) ?? 0;
      return;
    }
    const left = NOTES_MAX - length;
    counter.textContent =
      left > 0
        ? t("form.notesCount", { length, max: NOTES_MAX, count: left })
        : t("form.notesFull", { max: NOTES_MAX });
    const mark = NOTES_MARKS.filter((m) => length >= m).at(-1) ?? 0;
    if (mark > heard) spoken.textContent = counter.textContent;
    heard = mark;
  };
  textarea.addEventListener("input", update);
  return {
    field: h(
      "div",
      { class: "field" },
      h("label", { for: id, text: t("form.notes") }),
      textarea,
      counter,
      spoken,
    ),
    fill(value) {
      textarea.value = value;
      update();
    },
    reset() {
      spoken.textContent = "";
      heard = 0;
      counter.textContent = "";
    },
  };
}

/**
 * "Now" or "Earlier": a check-in for an earlier time today or up to 7 days back, the day
 * and time read in the patient's own time zone (`timeZone()`; the device's when unknown).
 */
function whenField(timeZone) {
  const nowId = uid("when-now");
  const earlierId = uid("when-earlier");
  const dateId = uid("felt-date");
  const timeId = uid("felt-time");
  const hintId = uid("when-hint");
  const errorId = uid("when-error");
  const date = h("input", {
    type: "date",
    id: dateId,
    name: "felt_date",
    "aria-describedby": `${hintId} ${errorId}`,
  });
  const time = h("input", {
    type: "time",
    id: timeId,
    name: "felt_time",
    "aria-describedby": `${hintId} ${errorId}`,
  });
  const hint = h("p", { class: "hint", id: hintId });
  const error = h("p", { class: "message error", id: errorId, "data-error": "when" });
  const panel = h(
    "div",
    { class: "when-earlier", hidden: true },
    h(
      "div",
      { class: "when-fields" },
      h("div", { class: "field" }, h("label", { for: dateId, text: t("form.day") }), date),
      h("div", { class: "field" }, h("label", { for: timeId, text: t("form.time") }), time),
    ),
    hint,
    error,
  );
  const radio = (id, value, text, checked) => {
    const input = h("input", {
      type: "radio",
      id,
      name: "when",
      value,
      class: "visually-hidden",
      checked,
    });
    input.defaultChecked = checked;
    input.addEventListener("change", show);
    return h("span", { class: "choice-option" }, input, h("label", { for: id, text }));
  };
  async function show() {
    const earlier = fieldset.querySelector("input[value=earlier]").checked;
    error.textContent = "";
    if (!earlier) {
      panel.hidden = true;
      return;
    }
    // Shown once its day picker has its range and today: never an empty picker.
    const dates = await import("../dates.js");
    const zone = timeZone();
    const today = dates.localDate(new Date(), zone);
    date.max = today;
    date.min = dates.addDays(today, -dates.EARLIER_DAYS);
    if (!date.value) date.value = today;
    hint.textContent = zone
      ? t("form.earlierHintZone", { count: dates.EARLIER_DAYS, zone: zone.replace(/_/g, " ") })
      : t("form.earlierHint", { count: dates.EARLIER_DAYS });
    panel.hidden = !fieldset.querySelector("input[value=earlier]").checked;
  }
  const fieldset = h(
    "fieldset",
    { class: "choice when", "data-field": "when", "aria-describedby": errorId },
    h("legend", { text: t("form.when") }),
    h(
      "div",
      { class: "choice-options" },
      radio(nowId, "now", t("form.now"), true),
      radio(earlierId, "earlier", t("form.earlier"), false),
    ),
    panel,
  );
  return {
    field: fieldset,
    /** {felt_at} for an earlier time, {} for now, or {error} (shown, and focused). */
    async read() {
      if (!fieldset.querySelector("input[value=earlier]").checked) return {};
      const { earlierFeltAt } = await import("../dates.js");
      const result = earlierFeltAt({
        date: date.value,
        time: time.value,
        now: new Date(),
        timeZone: timeZone(),
      });
      error.textContent = result.error ?? "";
      if (result.error) (result.field === "time" ? time : date).focus();
      return result;
    },
    reset() {
      panel.hidden = true;
      error.textContent = "";
      hint.textContent = "";
    },
  };
}

/**
 * Builds the form. `entry` pre-fills it (edit). `onSubmit(values)` gets
 * {pain, soreness, bruising, iced, heated, strenuous_activity, notes}, plus `felt_at` when
 * the patient chose an earlier time (`earlier`: offer "Now / Earlier"; `timeZone()` names
 * the patient's zone, in which that time is read).
 */
export function entryForm({
  entry = null,
  submitLabel,
  onSubmit,
  earlier = false,
  timeZone = () => undefined,
}) {
  const notes = notesField();
  const when = earlier ? whenField(timeZone) : null;
  const status = h("div", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { class: "checkin stack", novalidate: true },
    scale({
      name: "pain",
      legend: t("form.pain"),
      hint: t("form.painHint"),
      low: painWord(0),
      high: painWord(10),
      word: painWord,
      value: entry?.pain ?? null,
    }),
    scale({
      name: "soreness",
      legend: t("form.soreness"),
      hint: t("form.sorenessHint"),
      low: sorenessWord(0),
      high: sorenessWord(10),
      word: sorenessWord,
      value: entry?.soreness ?? null,
    }),
    choice({
      name: "bruising",
      legend: t("form.bruising"),
      value: entry?.bruising ?? "none",
      options: Object.entries(BRUISING),
    }),
    h(
      "fieldset",
      { class: "choice" },
      h("legend", { text: t("form.sinceLast") }),
      h(
        "div",
        { class: "choice-options" },
        toggle({ name: "iced", text: t("form.iced"), checked: entry?.iced }),
        toggle({ name: "heated", text: t("form.heated"), checked: entry?.heated }),
        toggle({
          name: "strenuous_activity",
          text: t("form.strenuous"),
          checked: entry?.strenuous_activity,
        }),
      ),
    ),
    notes.field,
    when?.field,
    h("button", { type: "submit", class: "button primary wide", text: submitLabel }),
    status,
  );
  if (entry?.notes) notes.fill(entry.notes);
  parts.set(form, { notes, when });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const values = {
      pain: data.get("pain") === null ? null : Number(data.get("pain")),
      soreness: data.get("soreness") === null ? null : Number(data.get("soreness")),
      bruising: data.get("bruising") || "none",
      iced: data.get("iced") !== null,
      heated: data.get("heated") !== null,
      strenuous_activity: data.get("strenuous_activity") !== null,
      notes: (data.get("notes") || "").toString(),
    };
    let firstMissing = null;
    for (const name of ["pain", "soreness"]) {
      const error = form.querySelector(`[data-error="${name}"]`);
      const fieldset = form.querySelector(`[data-field="${name}"]`);
      const missing = values[name] === null;
      error.textContent = missing ? t("form.missing") : "";
      if (missing && !firstMissing) firstMissing = fieldset;
    }
    if (firstMissing) {
      firstMissing.querySelector("input").focus();
      return;
    }
    if (when) {
      const chosen = await when.read();
      if (chosen.error) return;
      if (chosen.felt_at) values.felt_at = chosen.felt_at;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await onSubmit(values, { form, status });
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

/** Clears the scales and toggles after a check-in (bruising back to none, time to now). */
export function resetForm(form) {
  form.reset();
  for (const output of form.querySelectorAll(".scale-value")) {
    output.textContent = t("form.chooseNumber");
  }
  parts.get(form)?.notes.reset();
  parts.get(form)?.when?.reset();
}
