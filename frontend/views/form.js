// The check-in form (new and edit): 0-10 one-thumb scales with verbal anchors, bruising,
// aftercare toggles and notes. Native radios and checkboxes, styled as large buttons, so
// keyboard and screen readers work without extra scripting.

import { h, uid } from "../dom.js";
import { BRUISING, painWord, sorenessWord } from "../format.js";

function scale({ name, legend, hint, low, high, word, value }) {
  const legendId = uid(name);
  const hintId = uid(`${name}-hint`);
  const errorId = uid(`${name}-error`);
  const output = h("p", { class: "scale-value", "aria-hidden": "true" });
  const show = (v) => {
    output.textContent = v === null ? "Choose a number" : `${v} · ${word(v)}`;
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
      h("span", { text: `0 ${low}` }),
      h("span", { text: `10 ${high}` }),
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
        return h(
          "span",
          { class: "choice-option" },
          h("input", {
            type: "radio",
            id,
            name,
            value: v,
            class: "visually-hidden",
            checked: value === v,
          }),
          h("label", { for: id, text }),
        );
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

/**
 * Builds the form. `entry` pre-fills it (edit). `onSubmit(values)` gets
 * {pain, soreness, bruising, iced, heated, strenuous_activity, notes}.
 */
export function entryForm({ entry = null, submitLabel, onSubmit }) {
  const notesId = uid("notes");
  const status = h("div", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { class: "checkin stack", novalidate: true },
    scale({
      name: "pain",
      legend: "Pain",
      hint: "Your usual pain, the one you were treated for.",
      low: "No pain",
      high: "Worst imaginable",
      word: painWord,
      value: entry?.pain ?? null,
    }),
    scale({
      name: "soreness",
      legend: "Soreness where you were injected",
      hint: "Tenderness at the injection sites, separate from your usual pain.",
      low: "Not sore",
      high: "Worst imaginable",
      word: sorenessWord,
      value: entry?.soreness ?? null,
    }),
    choice({
      name: "bruising",
      legend: "Bruising",
      value: entry?.bruising ?? "none",
      options: Object.entries(BRUISING),
    }),
    h(
      "fieldset",
      { class: "choice" },
      h("legend", { text: "Since your last check-in" }),
      h(
        "div",
        { class: "choice-options" },
        toggle({ name: "iced", text: "Used ice", checked: entry?.iced }),
        toggle({ name: "heated", text: "Used heat", checked: entry?.heated }),
        toggle({
          name: "strenuous_activity",
          text: "Strenuous activity",
          checked: entry?.strenuous_activity,
        }),
      ),
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: notesId, text: "Notes (optional)" }),
      h("textarea", { id: notesId, name: "notes", rows: "3", maxlength: "5000" }),
    ),
    h("button", { type: "submit", class: "button primary wide", text: submitLabel }),
    status,
  );
  if (entry?.notes) form.elements.notes.value = entry.notes;

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
      error.textContent = missing ? "Choose a number from 0 to 10." : "";
      if (missing && !firstMissing) firstMissing = fieldset;
    }
    if (firstMissing) {
      firstMissing.querySelector("input").focus();
      return;
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

/** Clears the scales and toggles after a check-in (bruising back to none). */
export function resetForm(form) {
  form.reset();
  for (const output of form.querySelectorAll(".scale-value")) {
    output.textContent = "Choose a number";
  }
}
