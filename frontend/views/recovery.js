// My recovery (patient): the latest visit's chart and one-line summary, the course chart
// when there are several visits, and past check-ins with edit and delete.

import { json, request } from "../api.js";
import { chartBox, draw, loadPlotly } from "../charts.js";
import { formatDate, formatDateTime, localDate } from "../dates.js";
import { announce, confirmDialog, h, message } from "../dom.js";
import { CONDITIONS, label, patientSummary } from "../format.js";
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
        message("error", error?.network ? "Chart unavailable offline." : "Chart unavailable."),
      );
    });
  return section;
}

async function deleteEntry(ctx, entry) {
  const choice = await confirmDialog({
    title: "Delete this check-in?",
    message: "Your clinic will no longer see it in your recovery.",
    buttons: [
      { value: "delete", label: "Delete", kind: "danger" },
      { value: "cancel", label: "Cancel" },
    ],
  });
  if (choice !== "delete") return;
  const { status } = await request(`/api/v1/entries/${entry.id}/?version=${entry.version}`, {
    method: "DELETE",
  });
  announce(
    status === 204
      ? "Check-in deleted."
      : status === 412
        ? "This check-in was changed elsewhere; showing the latest."
        : "The check-in could not be deleted.",
  );
  ctx.navigate("/recovery");
}

const PAGE = 10;

const visitName = (visit) =>
  `injection of ${formatDate(visit.local_date)} · ${label(CONDITIONS, visit.condition)}`;

/** The earlier injections, each with its printable report. */
function earlierReports(visits) {
  return h(
    "section",
    { class: "stack visit-reports", "aria-labelledby": "earlier-title" },
    h("h3", { id: "earlier-title", text: "Reports of earlier injections" }),
    h(
      "ul",
      { class: "visit-report-list" },
      visits.map((visit) =>
        h(
          "li",
          { "data-visit": visit.id },
          h("p", {
            text: `${formatDate(visit.local_date)} · ${label(CONDITIONS, visit.condition)}`,
          }),
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
  const view = h("section", { class: "stack" }, h("h1", { tabindex: "-1", text: "My recovery" }));

  const latest = visits.results[0];
  if (latest) {
    const report = await json(`/api/v1/visits/${latest.id}/recovery/`).catch(() => null);
    const summaryText = report ? patientSummary(report.summary, today) : "";
    view.append(
      chartSection({
        id: "visit-chart-title",
        title: `Since your injection on ${formatDate(latest.local_date)}`,
        summaryText,
        chartUrl: `/api/v1/visits/${latest.id}/recovery/chart/`,
        before: printReportButton(latest, { name: visitName(latest) }),
      }),
    );
    if (report?.summary?.days_since_visit !== undefined && report.summary.days_since_visit < 3) {
      view.append(
        h("p", {
          class: "muted",
          text: "Days 0–2 show the injection's first effects and soreness; whether it is helping shows from day 3.",
        }),
      );
    }
  } else {
    view.append(
      h("p", { text: "No injection has been recorded yet. Your check-ins are kept below." }),
    );
  }
  if (visits.results.length > 1) {
    view.append(
      chartSection({
        id: "course-chart-title",
        title: `All ${visits.results.length} injections`,
        summaryText: `Your pain after each of your ${visits.results.length} injections (${visits.results
          .map((v) => label(CONDITIONS, v.condition))
          .filter((v, i, a) => a.indexOf(v) === i)
          .join(", ")}).`,
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
        text: "Edit",
        "aria-label": `Edit check-in of ${formatDateTime(entry.felt_at, tz)}`,
      }),
      h("button", {
        type: "button",
        class: "button danger small",
        text: "Delete",
        "aria-label": `Delete check-in of ${formatDateTime(entry.felt_at, tz)}`,
        onclick: () => deleteEntry(ctx, entry),
      }),
    );
  const history = h(
    "section",
    { class: "stack", "aria-labelledby": "history-title" },
    h("h2", { id: "history-title", text: "Past check-ins" }),
    entryList({ entries: entries.results, waiting, timeZone: tz, empty: "No check-ins yet.", actions }),
  );
  let next = entries.next;
  const more = h("button", {
    type: "button",
    class: "button secondary wide",
    text: "Show older check-ins",
    hidden: !next,
    onclick: async () => {
      more.disabled = true;
      try {
        const page = await json(next.replace(/^https?:\/\/[^/]+/, ""));
        const list = history.querySelector(".entries");
        const added = entryList({ entries: page.results, timeZone: tz, actions, empty: "" });
        list.append(...added.children);
        announce(`${page.results.length} older check-ins shown.`);
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
    submitLabel: "Save changes",
    onSubmit: async (values, { status }) => {
      const body = { ...values, felt_at: entry.felt_at, version: entry.version };
      try {
        const result = await request(`/api/v1/entries/${id}/`, { method: "PUT", body });
        if (result.status === 200 || result.status === 201) {
          announce("Check-in updated.");
          ctx.navigate("/recovery");
          return;
        }
        const text =
          result.status === 412
            ? "This check-in was changed elsewhere. Go back and open it again."
            : result.body?.detail || "The check-in could not be saved.";
        status.replaceChildren(message("error", text));
        announce(text);
      } catch (error) {
        const text = error?.network
          ? "You are offline. Editing needs a connection."
          : "The check-in could not be saved.";
        status.replaceChildren(message("error", text));
        announce(text);
      }
    },
  });
  return h(
    "section",
    { class: "stack" },
    h("h1", { tabindex: "-1", text: "Edit check-in" }),
    h("p", {
      class: "lead",
      text: formatDateTime(entry.felt_at, ctx.user?.timezone || undefined),
    }),
    form,
    h("a", { href: "#/recovery", class: "button secondary wide", text: "Back to my recovery" }),
  );
}
