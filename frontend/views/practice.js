// The practice: cohort relief curve across the physician's patients, filtered by condition,
// injectate and body region.

import { json, qs } from "../api.js";
import { chartBox, draw, loadPlotly, purge } from "../charts.js";
import { h, message, uid } from "../dom.js";
import { BODY_REGIONS, CONDITIONS, INJECTATES } from "../format.js";

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

function ratesText(cohort) {
  const r = cohort?.rates ?? cohort?.summary ?? null;
  if (!r || !r.n) return "No visits with a closed response window match these filters yet.";
  const pct = (v) => (v === null || v === undefined ? "—" : `${Math.round(v)} %`);
  return (
    `${r.n} visit${r.n === 1 ? "" : "s"} judged: ${pct(r.responder_rate)} responded (≥ 30 %), ` +
    `${pct(r.substantial_responder_rate)} substantially (≥ 50 %).`
  );
}

export async function practiceView() {
  loadPlotly().catch(() => {}); // overlaps the download with the API calls
  const summary = h("p", { class: "summary", role: "status" });
  const slot = h("div");
  let current = null;
  let seq = 0;
  const form = h(
    "form",
    { class: "filters" },
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
      slot.replaceChildren(
        message("error", error?.network ? "The practice view needs a connection." : "Unavailable."),
      );
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
  );
}
