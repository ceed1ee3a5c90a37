// My recovery (patient): the latest visit's chart and one-line summary, the course chart
// when there are several visits, and past check-ins with edit and delete.

import { json, request } from "../api.js";
import { chartBox, draw, loadPlotly } from "../charts.js";
import { formatDate, formatDateTime, localDate } from "../dates.js";
import { announce, confirmDialog, h, message } from "../dom.js";
import { CONDITIONS, label, patientSummary } from "../format.js";
import { locale, t } from "../i18n.js";
import * as sync from "../sync.js";
import { entryList } from "./entries.js";
import { entryForm } from "./form.js";
import { printReportButton } from "./report.js";

function chartSection({ title, summaryText, chartUrl, id, before = null, after = null }) {
  const chart = chartBox(summaryText || title);
  const section = h(
    "section",
    { class: "card", "aria-labelledby": id },
    h("h2", { id, text: title }),
    summaryText ? h("p", { class: "summary", "data-summary": "", text: summaryText }) : null,
    before,
    chart.box,
    after,
  );
  json(chartUrl)
    .then((figure) => draw(chart, figure))
    .catch((error) => {
      chart.box.dataset.chart = "failed";
      chart.box.replaceChildren(
        message("error", error?.network ? t("recovery.chartOffline") : t("recovery.chartFailed")),
      );
    });
  return section;
}

async function deleteEntry(ctx, entry) {
  const choice = await confirmDialog({
    title: t("recovery.deleteTitle"),
    message: t("recovery.deleteText"),
    buttons: [
      { value: "delete", label: t("recovery.delete"), kind: "danger" },
      { value: "cancel", label: t("common.cancel") },
    ],
  });
  if (choice !== "delete") return;
  const { status } = await request(`/api/v1/entries/${entry.id}/?version=${entry.version}`, {
    method: "DELETE",
  });
  announce(
    status === 204
      ? t("recovery.deleted")
      : status === 412
        ? t("recovery.changedElsewhere")
        : t("recovery.deleteFailed"),
  );
  ctx.navigate("/recovery");
}

const PAGE = 10;

const visitName = (visit) =>
  t("recovery.visitName", {
    date: formatDate(visit.local_date),
    condition: label(CONDITIONS, visit.condition),
  });

const visitLine = (visit) =>
  t("recovery.visitLine", {
    date: formatDate(visit.local_date),
    condition: label(CONDITIONS, visit.condition),
  });

/** The earlier injections, each with its printable report. */
function earlierReports(visits) {
  return h(
    "section",
    { class: "stack visit-reports", "aria-labelledby": "earlier-title" },
    h("h3", { id: "earlier-title", text: t("recovery.earlierReports") }),
    h(
      "ul",
      { class: "visit-report-list" },
      visits.map((visit) =>
        h(
          "li",
          { "data-visit": visit.id },
          h("p", { text: visitLine(visit) }),
          printReportButton(visit, { name: visitName(visit) }),
        ),
      ),
    ),
  );
}

export async function recoveryView(ctx) {
  loadPlotly().catch(() => {}); // overlaps the download with the API calls
  const tz = ctx.user.timezone || undefined;
  const today = localDate(new Date(), tz);
  const [visits, entries, waiting] = await Promise.all([
    json("/api/v1/visits/?page_size=20"),
    json(`/api/v1/entries/?page_size=${PAGE}`),
    sync.waitingItems(),
  ]);
  const view = h("section", { class: "stack" }, h("h1", { tabindex: "-1", text: t("recovery.title") }));

  const latest = visits.results[0];
  if (latest) {
    const report = await json(`/api/v1/visits/${latest.id}/recovery/`).catch(() => null);
    const summaryText = report ? patientSummary(report.summary, today) : "";
    view.append(
      chartSection({
        id: "visit-chart-title",
        title: t("recovery.since", { date: formatDate(latest.local_date) }),
        summaryText,
        chartUrl: `/api/v1/visits/${latest.id}/recovery/chart/`,
        before: printReportButton(latest, { name: visitName(latest) }),
      }),
    );
    if (report?.summary?.days_since_visit !== undefined && report.summary.days_since_visit < 3) {
      view.append(
        h("p", {
          class: "muted",
          text: t("recovery.early"),
        }),
      );
    }
  } else {
    view.append(
      h("p", { text: t("recovery.noInjection") }),
    );
  }
  if (visits.results.length > 1) {
    view.append(
      chartSection({
        id: "course-chart-title",
        title: t("recovery.allInjections", { count: visits.results.length }),
        summaryText: t("recovery.courseSummary", {
          count: visits.results.length,
          conditions: new Intl.ListFormat(locale(), { type: "unit", style: "short" }).format(
            visits.results
              .map((v) => label(CONDITIONS, v.condition))
              .filter((v, i, a) => a.indexOf(v) === i),
          ),
        }),
        chartUrl: `/api/v1/patients/${ctx.user.id}/course/chart/`,
        after: earlierReports(visits.results.slice(1)),
      }),
    );
  }

  const actions = (entry) =>
    h(
      "div",
      { class: "row-actions" },
      h("a", {
        class: "button secondary small",
        href: `#/edit/${entry.id}`,
        text: t("recovery.edit"),
        "aria-label": t("recovery.editLabel", { when: formatDateTime(entry.felt_at, tz) }),
      }),
      h("button", {
        type: "button",
        class: "button danger small",
        text: t("recovery.delete"),
        "aria-label": t("recovery.deleteLabel", { when: formatDateTime(entry.felt_at, tz) }),
        onclick: () => deleteEntry(ctx, entry),
      }),
    );
  const history = h(
    "section",
    { class: "stack", "aria-labelledby": "history-title" },
    h("h2", { id: "history-title", text: t("recovery.history") }),
    entryList({ entries: entries.results, waiting, timeZone: tz, empty: t("recovery.noCheckins"), actions }),
  );
  let next = entries.next;
  const more = h("button", {
    type: "button",
    class: "button secondary wide",
    text: t("recovery.older"),
    hidden: !next,
    onclick: async () => {
      more.disabled = true;
      try {
        const page = await json(next.replace(/^https?:\/\/[^/]+/, ""));
        const list = history.querySelector(".entries");
        const added = entryList({ entries: page.results, timeZone: tz, actions, empty: "" });
        list.append(...added.children);
        announce(t("recovery.olderShown", { count: page.results.length }));
        next = page.next;
        more.hidden = !next;
      } finally {
        more.disabled = false;
      }
    },
  });
  history.append(more);
  view.append(history);
  return view;
}

export async function editView(ctx, id) {
  const entry = await json(`/api/v1/entries/${id}/`);
  const form = entryForm({
    entry,
    submitLabel: t("recovery.saveChanges"),
    onSubmit: async (values, { status }) => {
      const body = { ...values, felt_at: entry.felt_at, version: entry.version };
      try {
        const result = await request(`/api/v1/entries/${id}/`, { method: "PUT", body });
        if (result.status === 200 || result.status === 201) {
          announce(t("recovery.updated"));
          ctx.navigate("/recovery");
          return;
        }
        const text =
          result.status === 412
            ? t("recovery.editConflict")
            : result.body?.detail || t("recovery.saveFailed");
        status.replaceChildren(message("error", text));
        announce(text);
      } catch (error) {
        const text = error?.network ? t("recovery.editOffline") : t("recovery.saveFailed");
        status.replaceChildren(message("error", text));
        announce(text);
      }
    },
  });
  return h(
    "section",
    { class: "stack" },
    h("h1", { tabindex: "-1", text: t("recovery.editTitle") }),
    h("p", {
      class: "lead",
      text: formatDateTime(entry.felt_at, ctx.user?.timezone || undefined),
    }),
    form,
    h("a", { href: "#/recovery", class: "button secondary wide", text: t("recovery.back") }),
  );
}
