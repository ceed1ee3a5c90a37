// The practice: cohort relief curve across the physician's own patients or the whole
// practice's (aggregates only), filtered by condition, injectate and body region; and the
// practice's outcomes as a CSV file for quality review.

import { json, qs } from "../api.js";
import { chartBox, draw, loadPlotly, purge } from "../charts.js";
import { formatDateTime, formatTime } from "../dates.js";
import { h, message, uid } from "../dom.js";
import { BODY_REGIONS, CONDITIONS, INJECTATES, label } from "../format.js";
import { t } from "../i18n.js";
import { downloadButton } from "./mydata.js";

// Whose visits the curve covers: the API's scope and its message key.
const SCOPES = [
  ["mine", "practice.scope.mine"],
  ["practice", "practice.scope.practice"],
];

function filter(name, labelText, options) {
  // `options`: one of format.js's label maps; each code's words through label().
  const id = uid(name);
  return h(
    "div",
    { class: "field" },
    h("label", { for: id, text: labelText }),
    h(
      "select",
      { id, name },
      h("option", { value: "", text: t("practice.all") }),
      Object.keys(options).map((value) => h("option", { value, text: label(options, value) })),
    ),
  );
}

/** "My patients / The practice": radios (arrow keys move between them), in the form. */
function scopeSwitch(scopes, value) {
  const hintId = uid("scope-hint");
  return h(
    "fieldset",
    { class: "choice scope", "data-field": "scope", "aria-describedby": hintId },
    h("legend", { text: t("practice.whoseVisits") }),
    h(
      "div",
      { class: "choice-options" },
      scopes.map(([v, textKey]) => {
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
        return h("span", { class: "choice-option" }, input, h("label", { for: id, text: t(textKey) }));
      }),
    ),
    h("p", {
      id: hintId,
      class: "hint",
      text: t("practice.scopeHint"),
    }),
  );
}

/** The words for a failed load (pure). */
export function practiceErrorText(error) {
  if (error?.network) return t("practice.offline");
  if (error?.body?.code === "no_practice") return t("practice.noPractice");
  return t("practice.unavailable");
}

function ratesText(cohort) {
  const r = cohort?.rates ?? cohort?.summary ?? null;
  if (!r || !r.n) return t("practice.noVisits");
  const pct = (v) =>
    v === null || v === undefined ? "—" : t("practice.percent", { value: Math.round(v) });
  return t("practice.rates", {
    count: r.n,
    responded: pct(r.responder_rate),
    substantial: pct(r.substantial_responder_rate),
  });
}

/** When a kept cohort answer's data was read: the time of day, with the date when that
 * was not today (a large COHORT_MAX_AGE, or a page left open overnight). */
function asOfText(iso) {
  const today = new Date().toDateString() === new Date(iso).toDateString();
  return today ? formatTime(iso) : formatDateTime(iso);
}

/** The Practice page. `practiceOnly`: for a practice administrator, who has no patients
 * of their own, so only the practice scope is offered. */
export async function practiceView({ practiceOnly = false } = {}) {
  loadPlotly().catch(() => {}); // overlaps the download with the API calls
  const summary = h("p", { class: "summary", role: "status" });
  // The cohort's answer is kept for a few minutes (COHORT_MAX_AGE): when its data was read.
  const asOf = h("p", { class: "hint as-of" });
  const slot = h("div");
  let current = null;
  let seq = 0;
  const form = h(
    "form",
    { class: "filters" },
    scopeSwitch(practiceOnly ? SCOPES.slice(1) : SCOPES, practiceOnly ? "practice" : "mine"),
    filter("condition", t("practice.condition"), CONDITIONS),
    filter("injectate", t("practice.injectate"), INJECTATES),
    filter("body_region", t("practice.bodyRegion"), BODY_REGIONS),
  );

  async function load() {
    const mine = ++seq;
    const params = qs(Object.fromEntries(new FormData(form)));
    summary.textContent = t("practice.loading");
    asOf.textContent = "";
    try {
      const [cohort, figure] = await Promise.all([
        json(`/api/v1/cohort/${params}`),
        json(`/api/v1/cohort/chart/${params}`),
      ]);
      if (mine !== seq) return;
      summary.textContent = ratesText(cohort);
      asOf.textContent = cohort.as_of ? t("practice.asOf", { time: asOfText(cohort.as_of) }) : "";
      if (current) purge(current.plot);
      current = chartBox(t("practice.chartLabel", { summary: summary.textContent }));
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
    h("h1", { tabindex: "-1", text: t("practice.title") }),
    h("p", {
      class: "lead",
      text: t("practice.lead"),
    }),
    form,
    summary,
    asOf,
    h("section", { class: "card", "aria-label": t("practice.chart") }, slot),
    h(
      "section",
      { class: "card", "aria-labelledby": "outcomes-title" },
      h("h2", { id: "outcomes-title", text: t("practice.quality") }),
      h(
        "ul",
        { class: "visit-report-list" },
        downloadButton({
          path: "/api/v1/practice/outcomes.csv",
          text: t("practice.outcomes"),
          description: t("practice.outcomesHint"),
          fallbackName: "relief-practice-outcomes.csv",
          kind: "practice-outcomes",
        }),
      ),
    ),
  );
}
