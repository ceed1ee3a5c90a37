// The practice: cohort relief curve across the physician's own patients or the whole
// practice's (aggregates only), filtered by condition, injectate and body region; and the
// practice's outcomes as a CSV file for quality review.

import { json, qs } from "../api.js";
import { chartBox, draw, loadPlotly, purge } from "../charts.js";
import { h, message, uid } from "../dom.js";
import { BODY_REGIONS, CONDITIONS, INJECTATES } from "../format.js";
import { downloadButton } from "./mydata.js";

const SCOPES = [
  ["mine", "My patients"],
  ["practice", "The practice"],
];

function filter(name, labelText, options) {
  const id = uid(name);
  return h(
    "div",
    { class: "field" },
    h("label", { for: id, text: labelText }),
    h(
      "select",
      { id, name },
      h("option", { value: "", text: "All" }),
      Object.entries(options).map(([value, text]) => h("option", { value, text })),
    ),
  );
}

/** "My patients / The practice": radios (arrow keys move between them), in the form. */
function scopeSwitch(scopes, value) {
  const hintId = uid("scope-hint");
  return h(
    "fieldset",
    { class: "choice scope", "data-field": "scope", "aria-describedby": hintId },
    h("legend", { text: "Whose visits" }),
    h(
      "div",
      { class: "choice-options" },
      scopes.map(([v, text]) => {
        const id = uid(`scope-${v}`);
        const input = h("input", {
          type: "radio",
          id,
          name: "scope",
          value: v,
          class: "visually-hidden",
          checked: value === v,
        });
        input.defaultChecked = value === v;
        return h("span", { class: "choice-option" }, input, h("label", { for: id, text }));
      }),
    ),
    h("p", {
      id: hintId,
      class: "hint",
      text:
        "The practice view shows aggregates only: numbers across every physician's " +
        "patients, never a patient.",
    }),
  );
}

/** The words for a failed load (pure). */
export function practiceErrorText(error) {
  if (error?.network) return "The practice view needs a connection.";
  if (error?.body?.code === "no_practice") return "You do not belong to a practice yet.";
  return "Unavailable.";
}

function ratesText(cohort) {
  const r = cohort?.rates ?? cohort?.summary ?? null;
  if (!r || !r.n) return "No visits with a closed response window match these filters yet.";
  const pct = (v) => (v === null || v === undefined ? "—" : `${Math.round(v)} %`);
  return (
    `${r.n} visit${r.n === 1 ? "" : "s"} judged: ${pct(r.responder_rate)} responded (≥ 30 %), ` +
    `${pct(r.substantial_responder_rate)} substantially (≥ 50 %).`
  );
}

/** The Practice page. `practiceOnly`: for a practice administrator, who has no patients
 * of their own, so only the practice scope is offered. */
export async function practiceView({ practiceOnly = false } = {}) {
  loadPlotly().catch(() => {}); // overlaps the download with the API calls
  const summary = h("p", { class: "summary", role: "status" });
  const slot = h("div");
  let current = null;
  let seq = 0;
  const form = h(
    "form",
    { class: "filters" },
    scopeSwitch(practiceOnly ? SCOPES.slice(1) : SCOPES, practiceOnly ? "practice" : "mine"),
    filter("condition", "Condition", CONDITIONS),
    filter("injectate", "Injectate", INJECTATES),
    filter("body_region", "Body region", BODY_REGIONS),
  );

  async function load() {
    const mine = ++seq;
    const params = qs(Object.fromEntries(new FormData(form)));
    summary.textContent = "Loading…";
    try {
      const [cohort, figure] = await Promise.all([
        json(`/api/v1/cohort/${params}`),
        json(`/api/v1/cohort/chart/${params}`),
      ]);
      if (mine !== seq) return;
      summary.textContent = ratesText(cohort);
      if (current) purge(current.plot);
      current = chartBox(`Cohort relief by day since injection. ${summary.textContent}`);
      slot.replaceChildren(current.box);
      await draw(current, figure);
    } catch (error) {
      if (mine !== seq) return;
      summary.textContent = "";
      slot.replaceChildren(message("error", practiceErrorText(error)));
    }
  }
  form.addEventListener("change", load);
  form.addEventListener("submit", (e) => e.preventDefault());
  load();
  return h(
    "section",
    { class: "stack" },
    h("h1", { tabindex: "-1", text: "Practice" }),
    h("p", {
      class: "lead",
      text: "Median relief (with the middle half of patients) by day since injection.",
    }),
    form,
    summary,
    h("section", { class: "card", "aria-label": "Cohort chart" }, slot),
    h(
      "section",
      { class: "card", "aria-labelledby": "outcomes-title" },
      h("h2", { id: "outcomes-title", text: "Quality review" }),
      h(
        "ul",
        { class: "visit-report-list" },
        downloadButton({
          path: "/api/v1/practice/outcomes.csv",
          text: "Download outcomes (CSV)",
          description:
            "One line per visit of the practice's patients: condition, sites, injectates, " +
            "CPT code, baseline, relief per day 0–14 and responder status. No names or " +
            "contact details: each patient is a code.",
          fallbackName: "relief-practice-outcomes.csv",
          kind: "practice-outcomes",
        }),
      ),
    ),
  );
}
