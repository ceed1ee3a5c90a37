// One patient, for their physician: course chart, each visit's chart and summary (each
// visit can be edited), check-ins with notes (a page at a time), and the form to record a
// new visit (CPT code shown).

import { json, qs, request } from "../api.js";
import { chartBox, draw, loadPlotly } from "../charts.js";
import { formatDate, formatDateTime, localDate } from "../dates.js";
import { announce, breakable, h, message, uid } from "../dom.js";
import {
  BODY_REGIONS,
  CONDITIONS,
  INJECTATES,
  SIDES,
  label,
  physicianSummary,
} from "../format.js";
import { locale, t } from "../i18n.js";
import { careTeamBox } from "./careteam.js";
import { entryList } from "./entries.js";
import { flagsSection } from "./flags.js";
import { downloadButton } from "./mydata.js";
import { rememberRow } from "./patients.js";
import { printReportButton } from "./report.js";
import { visitForm } from "./visitform.js";

function sitesText(visit) {
  const lower = (text) => text.toLocaleLowerCase(locale());
  return visit.sites
    .map((s) =>
      t("patient.site", {
        muscle: s.muscle,
        side: lower(label(SIDES, s.side)),
        region: lower(label(BODY_REGIONS, s.body_region)),
        injectates: s.injectates.map((i) => lower(label(INJECTATES, i))).join(" + "),
        volume: s.volume_ml,
      }),
    )
    .join("; ");
}

function visitCard(visit, { open, onEdit }) {
  const titleId = `visit-${visit.id}`;
  const summarySlot = h("p", { class: "summary", text: t("patient.loadingSummary") });
  const flagsSlot = h("div");
  const chart = chartBox(t("patient.visitChartLabel", { date: formatDate(visit.local_date) }));
  let drawn = false;
  const drawChart = () => {
    if (drawn) return;
    drawn = true;
    json(`/api/v1/visits/${visit.id}/recovery/chart/`)
      .then((figure) => draw(chart, figure))
      .catch(() => {
        chart.box.dataset.chart = "failed";
        chart.box.replaceChildren(message("error", t("patient.chartUnavailable")));
      });
  };
  const details = h(
    "details",
    { class: "chart-details", open: open || false },
    h("summary", { text: t("patient.recoveryChart") }),
    chart.box,
  );
  details.addEventListener("toggle", () => details.open && drawChart());
  if (open) drawChart();

  json(`/api/v1/visits/${visit.id}/recovery/`)
    .then((report) => {
      summarySlot.textContent = physicianSummary(report.summary);
      chart.box.querySelector("figcaption").textContent = physicianSummary(report.summary);
      if (report.flags?.length) flagsSlot.replaceChildren(flagsSection(visit, report.flags));
    })
    .catch(() => {
      summarySlot.textContent = t("patient.summaryUnavailable");
    });

  const title = `${formatDate(visit.local_date)} · ${label(CONDITIONS, visit.condition)}`;
  return h(
    "article",
    { class: "card visit", "aria-labelledby": titleId, "data-visit": visit.id },
    h("h3", { id: titleId, text: title }),
    h(
      "p",
      { class: "visit-meta" },
      h("span", {
        class: "badge",
        "data-cpt": visit.cpt_code,
        text: t("patient.cpt", { code: visit.cpt_code }),
      }),
      " ",
      visit.baseline_pain === null || visit.baseline_pain === undefined
        ? t("patient.baselineNotRecorded")
        : t("patient.baseline", { pain: visit.baseline_pain }),
    ),
    h("p", { class: "visit-sites", text: sitesText(visit) }),
    visit.notes ? h("p", { class: "entry-notes", text: visit.notes }) : null,
    summarySlot,
    flagsSlot,
    printReportButton(visit, { name: t("patient.reportName", { title }) }),
    h(
      "div",
      { class: "row-actions" },
      h("button", {
        type: "button",
        class: "button secondary small",
        text: t("patient.editVisit"),
        "aria-label": t("patient.editVisitLabel", { title }),
        "data-edit": visit.id,
        onclick: () => onEdit(visit),
      }),
    ),
    details,
  );
}

/** The edit form in place of a visit's card; `done(saved)` puts a card back. */
function visitEditor(visit, patientId, done) {
  const titleId = `edit-visit-${visit.id}`;
  const editor = h(
    "section",
    { class: "card visit-edit", "aria-labelledby": titleId, "data-edit-visit": visit.id },
    h("h3", {
      id: titleId,
      tabindex: "-1",
      text: t("patient.editVisitTitle", { date: formatDate(visit.local_date) }),
    }),
    visitForm({
      patientId,
      visit,
      onSaved: (saved) => done(saved),
      onCancel: () => done(null),
    }),
  );
  return editor;
}

const nextPath = (next) => {
  if (!next) return null;
  const url = new URL(next, location.origin);
  return url.pathname + url.search;
};

/** Check-ins, newest first, a page at a time ("Show more check-ins"). */
function checkinsSection(first, timeZone) {
  let shown = first.results.length;
  let next = nextPath(first.next);
  const list = entryList({ entries: first.results, timeZone, empty: t("patient.noCheckins") });
  const count = h("p", { class: "muted", "aria-live": "polite" });
  const more = h("button", {
    type: "button",
    class: "button secondary",
    text: t("patient.moreCheckins"),
  });
  const status = h("div", { class: "form-status" });
  const update = () => {
    count.textContent = first.count > 0 ? t("patient.showing", { shown, count: first.count }) : "";
    more.hidden = !next;
  };
  more.addEventListener("click", async () => {
    more.disabled = true;
    status.replaceChildren();
    try {
      const page = await json(next);
      const added = entryList({ entries: page.results, timeZone, empty: "" });
      const rows = [...added.children];
      list.append(...rows);
      shown += rows.length;
      next = nextPath(page.next);
      update();
      if (!next && rows[0]) {
        rows[0].setAttribute("tabindex", "-1");
        rows[0].focus();
      }
    } catch (error) {
      status.replaceChildren(
        message("error", error?.network ? t("patient.offline") : t("patient.moreFailed")),
      );
    } finally {
      more.disabled = false;
    }
  });
  update();
  return h(
    "section",
    { class: "stack", "aria-labelledby": "checkins-title" },
    h("h2", { id: "checkins-title", text: t("patient.checkins") }),
    count,
    list,
    more,
    status,
  );
}

/** "Reminded today at 10:14 by Dr Okafor" (the time on this device's clock). */
export function reminderNote(last, now = new Date()) {
  if (!last) return "";
  const at = new Date(last.at);
  if (localDate(at) === localDate(now)) {
    const time = new Intl.DateTimeFormat(locale(), { hour: "2-digit", minute: "2-digit" }).format(at);
    return last.by
      ? t("patient.remindedTodayBy", { time, by: last.by })
      : t("patient.remindedToday", { time });
  }
  const when = formatDateTime(last.at);
  return last.by
    ? t("patient.lastRemindedBy", { when, by: last.by })
    : t("patient.lastReminded", { when });
}

/**
 * The "Remind" button: sends the patient a reminder to check in now (by notification or
 * e-mail), at most once a day per patient (their day); says when the last one went.
 */
function remindBox(patient) {
  const noteId = uid("remind-note");
  const note = h("p", { id: noteId, class: "hint", "data-last-reminder": "" });
  const status = h("div", { class: "form-status", role: "status" });
  const button = h("button", {
    type: "button",
    class: "button secondary",
    text: t("patient.remind"),
    "aria-describedby": noteId,
    "data-remind": patient.id,
  });
  const show = (last) => {
    note.textContent = reminderNote(last) || t("patient.noReminder");
    // One a day, counted on the patient's calendar.
    const tz = patient.timezone;
    button.disabled = Boolean(last) && localDate(new Date(last.at), tz) === localDate(new Date(), tz);
  };
  show(patient.last_reminder);
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.replaceChildren();
    try {
      const { status: code, body } = await request(`/api/v1/patients/${patient.id}/remind/`, {
        method: "POST",
      });
      if (code === 201) {
        show(body);
        announce(t("patient.reminderSent", { name: patient.display_name || patient.email }));
        return;
      }
      if (code === 429) {
        const name = patient.display_name || patient.email;
        const text = body?.next_allowed_at
          ? t("patient.remindedAlreadyNext", { name, when: formatDateTime(body.next_allowed_at) })
          : t("patient.remindedAlready", { name });
        status.replaceChildren(message("pending", text));
        return;
      }
      status.replaceChildren(message("error", body?.detail || t("patient.remindFailed")));
      button.disabled = false;
    } catch (error) {
      status.replaceChildren(
        message("error", error?.network ? t("patient.remindOffline") : t("patient.remindFailed")),
      );
      button.disabled = false;
    }
  });
  return h(
    "section",
    { class: "card stack", "aria-label": t("patient.reminder"), "data-remind-box": "" },
    h("p", { class: "hint", text: t("patient.remindHint") }),
    h("div", { class: "row-actions" }, button),
    note,
    status,
  );
}

/** The patient's files for the physician: check-ins (CSV), the record (FHIR); each
 * visit's report is printed from its card. The same download button as "My data". */
function exportsBox(patient) {
  const name = patient.display_name || patient.email;
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "patient";
  return h(
    "section",
    { class: "card stack", "aria-labelledby": "exports-title", "data-exports": "" },
    h("h2", { id: "exports-title", text: t("patient.export") }),
    h(
      "ul",
      { class: "visit-report-list" },
      downloadButton({
        path: `/api/v1/patients/${patient.id}/entries.csv`,
        text: t("patient.exportCsv"),
        description: t("patient.exportCsvHint", { name }),
        fallbackName: `relief-${slug}-checkins.csv`,
        kind: "csv",
      }),
      downloadButton({
        path: `/api/v1/patients/${patient.id}/fhir/`,
        text: t("patient.exportFhir"),
        description: t("patient.exportFhirHint"),
        fallbackName: `relief-${slug}.fhir.json`,
        kind: "fhir",
      }),
    ),
    h("p", { class: "hint", text: t("patient.reportHint") }),
  );
}

// Escape on the patient's page goes back to the list (focus returns to this patient's
// row), except from a form field, where Escape belongs to the field.
function escapeBack(section, id) {
  const onKey = (event) => {
    if (!section.isConnected) {
      document.removeEventListener("keydown", onKey);
      return;
    }
    if (event.key !== "Escape" || event.defaultPrevented) return;
    if (event.target.closest?.("input, textarea, select, [contenteditable], dialog, form")) return;
    event.preventDefault();
    document.removeEventListener("keydown", onKey);
    rememberRow(id);
    location.hash = "#/";
  };
  document.addEventListener("keydown", onKey);
}

export async function patientView(ctx, id) {
  loadPlotly().catch(() => {}); // overlaps the download with the API calls
  const [patient, visits, entries] = await Promise.all([
    json(`/api/v1/patients/${id}/`),
    json(`/api/v1/visits/${qs({ patient: id, page_size: 50 })}`),
    json(`/api/v1/entries/${qs({ patient: id, page_size: 50 })}`),
  ]);
  const visitsSlot = h("div", { class: "stack" });
  const courseSlot = h("div", { class: "patient-chart-column stack" });
  // From 1024 px: the course chart beside the visits and check-ins (styles.css).
  const records = h("div", { class: "patient-records stack" });
  const columns = h("div", { class: "patient-columns" }, courseSlot, records);

  const visitsPath = `/api/v1/visits/${qs({ patient: id, page_size: 50 })}`;
  async function edited(saved) {
    if (saved) announce(t("visit.updated", { code: saved.cpt_code }));
    const fresh = saved ? (await json(visitsPath)).results : current;
    renderVisits(fresh);
    const card = visitsSlot.querySelector(`[data-visit="${(saved ?? editing).id}"] h3`);
    card?.setAttribute("tabindex", "-1");
    card?.focus();
    editing = null;
  }
  let current = [];
  let editing = null;
  function edit(visit) {
    editing = visit;
    const card = visitsSlot.querySelector(`[data-visit="${visit.id}"]`);
    const editor = visitEditor(visit, id, edited);
    card.replaceWith(editor);
    editor.querySelector("h3").focus();
  }

  function renderVisits(list) {
    current = list;
    visitsSlot.replaceChildren(
      list.length
        ? h(
            "div",
            { class: "stack" },
            list.map((v, i) => visitCard(v, { open: i === 0, onEdit: edit })),
          )
        : h("p", { text: t("patient.noVisits") }),
    );
    if (list.length > 1) {
      const chart = chartBox(t("patient.courseChartLabel", { count: list.length }));
      columns.classList.add("with-chart");
      courseSlot.replaceChildren(
        h(
          "section",
          { class: "card", "aria-labelledby": "course-title" },
          h("h2", { id: "course-title", text: t("patient.course", { count: list.length }) }),
          chart.box,
        ),
      );
      json(`/api/v1/patients/${id}/course/chart/`)
        .then((figure) => draw(chart, figure))
        .catch(() => {
          chart.box.dataset.chart = "failed";
          chart.box.replaceChildren(message("error", t("patient.chartUnavailable")));
        });
    } else {
      columns.classList.remove("with-chart");
      courseSlot.replaceChildren();
    }
  }
  renderVisits(visits.results);

  const form = visitForm({
    patientId: id,
    onSaved: async (visit) => {
      announce(t("visit.recorded", { code: visit.cpt_code }));
      const fresh = await json(visitsPath);
      renderVisits(fresh.results);
    },
  });

  records.append(
    h(
      "section",
      { class: "stack", "aria-labelledby": "visits-title" },
      h("h2", { id: "visits-title", text: t("patient.visits") }),
      visitsSlot,
    ),
    checkinsSection(entries, patient.timezone),
  );
  rememberRow(id);
  const section = h(
    "section",
    { class: "stack patient-page" },
    h(
      "p",
      {},
      h("a", { href: "#/", text: t("patient.allPatients"), "aria-keyshortcuts": "Escape" }),
    ),
    h("h1", { tabindex: "-1", text: patient.display_name || patient.email }),
    h("p", { class: "muted" }, breakable(patient.email), ` · ${patient.timezone}`),
    h(
      "div",
      { class: "patient-actions stack" },
      remindBox(patient),
      exportsBox(patient),
      careTeamBox(ctx, patient),
    ),
    columns,
    h(
      "section",
      { class: "card stack", "aria-labelledby": "record-title" },
      h("h2", { id: "record-title", text: t("patient.recordVisit") }),
      form,
    ),
  );
  escapeBack(section, id);
  return section;
}
