// The physician's patients, those needing attention first (server ordering), searchable.

import { json, qs } from "../api.js";
import { formatDateTime } from "../dates.js";
import { h, uid } from "../dom.js";
import { reliefLabel, responderLabel } from "../format.js";

function patientRow(p) {
  const latest = p.latest ?? null;
  const responder = responderLabel(latest);
  const flags = p.flags ?? [];
  return h(
    "li",
    { class: `patient card${flags.length ? " flagged" : ""}`, "data-patient": p.id },
    h(
      "h2",
      { class: "patient-name" },
      h("a", { href: `#/patients/${p.id}`, text: p.display_name || p.email }),
    ),
    h(
      "p",
      { class: "patient-meta" },
      latest
        ? `Visit ${latest.visit_date}, day ${latest.days_since_visit}`
        : `${p.visit_count ?? 0} visits`,
      " · ",
      p.last_checkin_at
        ? `last check-in ${formatDateTime(p.last_checkin_at, p.timezone)}`
        : "no check-ins yet",
    ),
    h(
      "p",
      { class: "patient-relief" },
      h("span", { text: reliefLabel(latest) }),
      h("span", { class: `badge ${responder.tone}`, text: responder.text }),
    ),
    flags.length
      ? h(
          "ul",
          { class: "flags", "aria-label": `${flags.length} flag${flags.length === 1 ? "" : "s"}` },
          flags.map((f) =>
            h("li", { class: "flag", "data-flag": f.code }, h("span", { text: f.message })),
          ),
        )
      : null,
  );
}

export async function patientsView() {
  const searchId = uid("search");
  const list = h("div", { class: "patients-slot" });
  const count = h("p", { class: "muted", role: "status" });
  let seq = 0;

  async function load(search) {
    const mine = ++seq;
    const page = await json(
      `/api/v1/patients/${qs({ ordering: "attention", search, page_size: 100 })}`,
    );
    if (mine !== seq) return;
    const n = page.count ?? page.results.length;
    count.textContent = search
      ? `${n} patient${n === 1 ? "" : "s"} matching “${search}”`
      : `${n} patient${n === 1 ? "" : "s"}, those needing attention first`;
    list.replaceChildren(
      page.results.length
        ? h("ul", { class: "patients" }, page.results.map(patientRow))
        : h("p", { text: search ? "No patient by that name." : "No patients yet. Invite one." }),
    );
  }

  let timer = null;
  const input = h("input", {
    id: searchId,
    type: "search",
    name: "search",
    autocomplete: "off",
    oninput: (event) => {
      clearTimeout(timer);
      timer = setTimeout(() => load(event.target.value.trim()).catch(() => {}), 250);
    },
  });
  await load("");
  return h(
    "section",
    { class: "stack" },
    h("h1", { tabindex: "-1", text: "Patients" }),
    h(
      "form",
      { class: "field search", role: "search", onsubmit: (e) => e.preventDefault() },
      h("label", { for: searchId, text: "Search by name" }),
      input,
    ),
    count,
    h("p", {
      class: "hint",
      text: "Relief thresholds (30 %, 50 %) are group-level guides from IMMPACT, not a diagnosis.",
    }),
    list,
  );
}
