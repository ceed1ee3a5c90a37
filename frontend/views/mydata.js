// My data (patient): take a copy of the record (check-ins as CSV, the record as FHIR), print
// a visit's report, and see who has looked at the record ("who saw my data", a page at a
// time).
//
// Files: the access token lives in api.js's memory, so a plain link cannot fetch an export.
// The file is fetched with the token and handed over as a File: on a phone, to the phone's
// own share sheet (Save to Files, Drive, mail…) when it takes that kind of file; anywhere
// else, or when it does not, saved through a blob URL and <a download>.

import { fetchFile, json, qs } from "../api.js";
import { formatDate, formatDateTime } from "../dates.js";
import { announce, h, message, uid } from "../dom.js";
import { CONDITIONS, label } from "../format.js";
import { t } from "../i18n.js";
import { printReportButton } from "./report.js";

const AUDIT_PAGE = 20;
const VISIT_PAGE = 20;

// --------------------------------------------------------------------------- words (pure)

/**
 * What someone did, by the kind of data and the action (the audit API's enums): the catalog
 * key of the whole sentence ("{who} viewed your check-ins"), so each language words it.
 */
const DONE = {
  checkins: {
    read: "mydata.done.checkins.read",
    list: "mydata.done.checkins.read",
    create: "mydata.done.checkins.create",
    update: "mydata.done.checkins.update",
    delete: "mydata.done.checkins.delete",
  },
  visits: {
    read: "mydata.done.visits.read",
    list: "mydata.done.visits.list",
    create: "mydata.done.visits.create",
    update: "mydata.done.visits.update",
  },
  recovery: { read: "mydata.done.recovery.read", list: "mydata.done.recovery.read" },
  profile: { read: "mydata.done.profile.read", list: "mydata.done.profile.list" },
  checkins_file: { read: "mydata.done.checkinsFile.read" },
  record_file: { read: "mydata.done.recordFile.read" },
  visit_report: { read: "mydata.done.visitReport.read" },
  reminder: { create: "mydata.done.reminder.create" },
  care_team: {
    create: "mydata.done.careTeam.create",
    delete: "mydata.done.careTeam.delete",
  },
  outcomes_file: { read: "mydata.done.outcomesFile.read" },
};

/**
 * What someone was refused, by the kind of data (every value of the API's resource_kind):
 * catalog keys of the thing, named in the refusal's sentence.
 */
export const REFUSED = {
  checkins: "mydata.refusedWhat.checkins",
  visits: "mydata.refusedWhat.visits",
  recovery: "mydata.refusedWhat.recovery",
  profile: "mydata.refusedWhat.profile",
  checkins_file: "mydata.refusedWhat.checkins",
  record_file: "mydata.refusedWhat.record",
  visit_report: "mydata.refusedWhat.visitReport",
  reminder: "mydata.refusedWhat.reminders",
  care_team: "mydata.refusedWhat.careTeam",
  outcomes_file: "mydata.refusedWhat.outcomes",
  other: "mydata.refusedWhat.other",
};

/** Who acted, by the API's actor_kind (catalog keys); null: the person's own name. */
export const ACTORS = {
  you: "mydata.actor.you",
  physician: null,
  another_patient: "mydata.actor.anotherPatient",
  relief: "mydata.actor.relief",
  someone: null,
};

const who = (event) => {
  const key = ACTORS[event.actor_kind];
  return key ? t(key) : event.actor?.display_name || t("mydata.actor.someone");
};

/**
 * One row of the patient's audit list as a sentence: "Dr. Okafor viewed your check-ins",
 * "Someone was refused access to your check-ins". `visitDate(id)` names a visit the row is
 * about, when known ("opened the report of your visit of 3 Mar 2026").
 */
export function auditSentence(event, { visitDate = () => null } = {}) {
  const you = event.actor_kind === "you";
  if (event.outcome === "denied") {
    const what = t(REFUSED[event.resource_kind] ?? REFUSED.other);
    return you ? t("mydata.refusedYou", { what }) : t("mydata.refused", { who: who(event), what });
  }
  let key = DONE[event.resource_kind]?.[event.action];
  if (!key) {
    const looked = event.action === "read" || event.action === "list";
    key = looked ? "mydata.done.other.read" : "mydata.done.other.change";
  }
  const params = { who: who(event) };
  if (event.resource_kind === "visit_report" && event.object_id) {
    const date = visitDate(event.object_id);
    if (date) return t("mydata.done.visitReport.readOn", { ...params, date });
  }
  return t(key, params);
}

/** The file name in a Content-Disposition header, or `fallback`. */
export function attachmentName(header, fallback) {
  const match = /filename="([^"\\/]+)"/.exec(header || "");
  return match ? match[1] : fallback;
}

// --------------------------------------------------------------------------- files

/** "text/csv; charset=utf-8; header=present" → "text/csv" (share sheets match the bare type). */
const bareType = (contentType) => (contentType || "").split(";")[0].trim();

/** On a phone or tablet: a touch screen is how the user points. */
const onPhone = () => globalThis.matchMedia?.("(pointer: coarse)").matches === true;

function canShareFile(file) {
  try {
    return (
      onPhone() &&
      typeof navigator.share === "function" &&
      navigator.canShare?.({ files: [file] }) === true
    );
  } catch {
    return false;
  }
}

function saveFile(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked later, not now: the browser reads the blob after the click has returned.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The message for a failed download (pure). */
export function downloadErrorText(error) {
  if (error?.network) return t("mydata.offline");
  if (error?.sessionExpired) return t("error.sessionEnded");
  if (error?.status === 429) return t("error.tooManyRequests");
  return t("mydata.fileFailed");
}

/** A download button: fetches `path` with the token, then shares or saves the file. Also
 * the physician's export buttons on a patient's page (views/patient.js). */
export function downloadButton({ path, text, description, fallbackName, kind }) {
  const descriptionId = uid("download-hint");
  const status = h("div", { class: "form-status", role: "status" });
  const button = h("button", {
    type: "button",
    class: "button secondary",
    "data-download": kind,
    "aria-describedby": descriptionId,
    text,
  });
  let busy = false;

  const show = (kindOfMessage, line) => {
    status.replaceChildren(message(kindOfMessage, line));
    announce(line);
  };

  // Shared again from a tap of its own when the phone refused the first share: it came
  // after the download, too long after the tap that asked for it.
  const shareAgain = (file) =>
    h("button", {
      type: "button",
      class: "button secondary small",
      text: t("mydata.share", { name: file.name }),
      onclick: async () => {
        try {
          await navigator.share({ files: [file], title: file.name });
          show("success", t("mydata.shared", { name: file.name }));
        } catch (error) {
          if (error?.name === "AbortError") show("info", t("mydata.notShared"));
          else show("error", t("mydata.shareFailed"));
        }
      },
    });

  button.addEventListener("click", async () => {
    if (busy) return;
    if (navigator.onLine === false) {
      show("error", t("mydata.offline"));
      return;
    }
    busy = true;
    button.setAttribute("aria-busy", "true");
    status.replaceChildren(message("info", t("mydata.preparing")));
    try {
      const response = await fetchFile(path);
      const name = attachmentName(response.headers.get("Content-Disposition"), fallbackName);
      const type = bareType(response.headers.get("Content-Type"));
      const blob = await response.blob();
      const file = new File([blob], name, { type });
      if (canShareFile(file)) {
        try {
          await navigator.share({ files: [file], title: name });
          show("success", t("mydata.shared", { name }));
        } catch (error) {
          if (error?.name === "AbortError") {
            show("info", t("mydata.notShared"));
          } else if (error?.name === "NotAllowedError") {
            status.replaceChildren(
              message("info", t("mydata.ready")),
              h("div", { class: "row-actions" }, shareAgain(file)),
            );
            announce(t("mydata.readyShare"));
          } else {
            saveFile(file, name);
            show("success", t("mydata.downloading", { name }));
          }
        }
      } else {
        saveFile(file, name);
        show("success", t("mydata.downloading", { name }));
      }
    } catch (error) {
      show("error", downloadErrorText(error));
    } finally {
      busy = false;
      button.removeAttribute("aria-busy");
    }
  });

  return h(
    "li",
    { class: "download" },
    button,
    h("p", { id: descriptionId, class: "hint", text: description }),
    status,
  );
}

function downloadsSection(user) {
  return h(
    "section",
    { class: "card", "aria-labelledby": "downloads-title" },
    h("h2", { id: "downloads-title", text: t("mydata.copyTitle") }),
    h("p", { text: t("mydata.copyLead") }),
    h(
      "ul",
      { class: "visit-report-list" },
      downloadButton({
        path: `/api/v1/patients/${user.id}/entries.csv`,
        text: t("mydata.csv"),
        description: t("mydata.csvHint"),
        fallbackName: "relief-checkins.csv",
        kind: "csv",
      }),
      downloadButton({
        path: `/api/v1/patients/${user.id}/fhir/`,
        text: t("mydata.fhir"),
        description: t("mydata.fhirHint"),
        fallbackName: "relief-record.fhir.json",
        kind: "fhir",
      }),
    ),
  );
}

// --------------------------------------------------------------------------- visits

const visitParams = (visit) => ({
  date: formatDate(visit.local_date),
  condition: label(CONDITIONS, visit.condition),
});

function visitItem(visit) {
  return h(
    "li",
    { "data-visit": visit.id },
    h("p", { text: t("recovery.visitLine", visitParams(visit)) }),
    printReportButton(visit, { name: t("recovery.visitName", visitParams(visit)) }),
  );
}

/** "More" under a list: fetches the next page, adds its items, and moves focus to the first. */
function moreButton({ text, load }) {
  const button = h("button", { type: "button", class: "button secondary", text });
  const status = h("div", { class: "form-status", role: "status" });
  button.addEventListener("click", async () => {
    if (button.getAttribute("aria-busy")) return;
    button.setAttribute("aria-busy", "true");
    status.replaceChildren();
    try {
      await load();
    } catch (error) {
      const line = error?.network
        ? t("mydata.moreOffline")
        : t("mydata.moreFailed");
      status.replaceChildren(message("error", line));
      announce(line);
    } finally {
      button.removeAttribute("aria-busy");
    }
  });
  return { button, status };
}

/** Adds `items` to `list` and focuses the first of them (the button that asked is going). */
function appendAndFocus(list, items) {
  list.append(...items);
  const first = items[0];
  if (first) {
    first.setAttribute("tabindex", "-1");
    first.focus();
  }
}

function visitsSection(firstPage, remember) {
  const list = h("ul", { class: "visit-report-list" });
  const section = h(
    "section",
    { class: "card", "aria-labelledby": "visits-title" },
    h("h2", { id: "visits-title", text: t("mydata.visitsTitle") }),
  );
  if (!firstPage.results.length) {
    section.append(h("p", { text: t("mydata.noVisits") }));
    return section;
  }
  section.append(
    h("p", { class: "hint", text: t("mydata.reportHint") }),
    list,
  );
  let page = 1;
  const more = moreButton({
    text: t("mydata.moreVisits"),
    load: async () => {
      const next = await json(`/api/v1/visits/${qs({ page_size: VISIT_PAGE, page: page + 1 })}`);
      page += 1;
      next.results.forEach(remember);
      more.button.hidden = !next.next;
      appendAndFocus(list, next.results.map(visitItem));
      announce(t("mydata.moreVisitsShown", { count: next.results.length }));
    },
  });
  list.append(...firstPage.results.map(visitItem));
  more.button.hidden = !firstPage.next;
  section.append(more.button, more.status);
  return section;
}

// --------------------------------------------------------------------------- who saw my data

function auditItem(event, { timeZone, visitDate }) {
  const refused = event.outcome === "denied";
  return h(
    "li",
    { class: refused ? "entry refused" : "entry", "data-outcome": event.outcome },
    h(
      "p",
      {},
      h("span", { "data-line": "", text: auditSentence(event, { visitDate }) }),
      " · ",
      h("time", { datetime: event.at, text: formatDateTime(event.at, timeZone) }),
    ),
  );
}

function auditSection(user, visitDate) {
  const timeZone = user.timezone || undefined;
  const list = h("ul", { class: "entries", "data-audit": "" });
  const empty = h("p", { class: "muted" });
  const status = h("div", { class: "form-status", role: "status" });
  const toggleId = uid("audit-mine");
  const toggle = h("input", {
    type: "checkbox",
    id: toggleId,
    name: "include_mine",
    class: "visually-hidden",
  });
  let page = 1;
  let until = null; // the newest row of the first page: later pages keep to the list as it stood
  const item = (event) => auditItem(event, { timeZone, visitDate });

  const url = (pageNumber) =>
    `/api/v1/audit/${qs({
      page_size: AUDIT_PAGE,
      page: pageNumber > 1 ? pageNumber : null,
      until: pageNumber > 1 ? until : null,
      others_only: toggle.checked ? null : "true",
    })}`;

  const more = moreButton({
    text: t("mydata.loadMore"),
    load: async () => {
      const next = await json(url(page + 1));
      page += 1;
      more.button.hidden = !next.next;
      appendAndFocus(list, next.results.map(item));
      announce(t("mydata.moreShown", { count: next.results.length }));
    },
  });

  const show = (first) => {
    page = 1;
    until = first.results[0]?.at ?? null;
    list.replaceChildren(...first.results.map(item));
    empty.textContent = first.results.length
      ? ""
      : toggle.checked
        ? t("mydata.auditEmptyAll")
        : t("mydata.auditEmpty");
    empty.hidden = first.results.length > 0;
    more.button.hidden = !first.next;
  };

  toggle.addEventListener("change", async () => {
    status.replaceChildren();
    try {
      const first = await json(url(1));
      show(first);
      announce(toggle.checked ? t("mydata.showingMine") : t("mydata.showingOthers"));
    } catch (error) {
      const line = error?.network
        ? t("mydata.moreOffline")
        : t("mydata.listFailed");
      status.replaceChildren(message("error", line));
      announce(line);
    }
  });

  const section = h(
    "section",
    { class: "card", "aria-labelledby": "audit-title" },
    h("h2", { id: "audit-title", text: t("mydata.auditTitle") }),
    h("p", { class: "hint", text: t("mydata.auditHint") }),
    h(
      "p",
      { class: "toggle" },
      toggle,
      h("label", { for: toggleId, text: t("mydata.includeMine") }),
    ),
    status,
    empty,
    list,
    more.button,
    more.status,
  );
  return { section, show, url };
}

// --------------------------------------------------------------------------- the screen

export async function myDataView(ctx) {
  const user = ctx.user;
  // Visits by id, for the audit rows about a visit's report ("your visit of 3 Mar 2026").
  const visitDates = new Map();
  const remember = (visit) => visitDates.set(visit.id, formatDate(visit.local_date));
  const audit = auditSection(user, (id) => visitDates.get(id) ?? null);
  const [visits, events] = await Promise.all([
    json(`/api/v1/visits/${qs({ page_size: VISIT_PAGE })}`),
    json(audit.url(1)),
  ]);
  visits.results.forEach(remember);
  audit.show(events);
  return h(
    "section",
    { class: "stack" },
    h("h1", { tabindex: "-1", text: t("mydata.title") }),
    downloadsSection(user),
    visitsSection(visits, remember),
    audit.section,
  );
}
