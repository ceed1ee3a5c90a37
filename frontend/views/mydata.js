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
import { printReportButton } from "./report.js";

const AUDIT_PAGE = 20;
const VISIT_PAGE = 20;
const OFFLINE_TEXT = "You are offline. Downloads need a connection.";

// --------------------------------------------------------------------------- words (pure)

/** What someone did, by the kind of data and the action (the audit API's enums). */
const DONE = {
  checkins: {
    read: "viewed your check-ins",
    list: "viewed your check-ins",
    create: "added a check-in",
    update: "changed a check-in",
    delete: "deleted a check-in",
  },
  visits: {
    read: "viewed a visit",
    list: "viewed your visits",
    create: "recorded a visit",
    update: "changed a visit",
  },
  recovery: { read: "viewed your recovery", list: "viewed your recovery" },
  profile: { read: "viewed your details", list: "saw you in their list of patients" },
  checkins_file: { read: "downloaded your check-ins (CSV file)" },
  record_file: { read: "downloaded your record (FHIR file)" },
  visit_report: { read: "opened the report of a visit" },
  reminder: { create: "sent you a reminder to check in" },
  care_team: {
    create: "added a physician to your care team",
    delete: "took a physician off your care team",
  },
  outcomes_file: {
    read: "downloaded the practice's outcomes for quality review (your visits without your name)",
  },
};

/** What someone was refused, by the kind of data (every value of the API's resource_kind). */
export const REFUSED = {
  checkins: "your check-ins",
  visits: "your visits",
  recovery: "your recovery",
  profile: "your details",
  checkins_file: "your check-ins",
  record_file: "your record",
  visit_report: "a report of your visit",
  reminder: "your reminders",
  care_team: "your care team",
  outcomes_file: "the practice's outcomes",
  other: "your data",
};

/** Who acted, by the API's actor_kind; null: the person's own name (a physician's). */
export const ACTORS = {
  you: "You",
  physician: null,
  another_patient: "Another patient",
  relief: "Relief",
  someone: null,
};

const who = (event) => ACTORS[event.actor_kind] ?? (event.actor?.display_name || "Someone");

/**
 * One row of the patient's audit list as a sentence: "Dr. Okafor viewed your check-ins",
 * "Someone was refused access to your check-ins". `visitDate(id)` names a visit the row is
 * about, when known ("opened the report of your visit of 3 Mar 2026").
 */
export function auditSentence(event, { visitDate = () => null } = {}) {
  const subject = who(event);
  if (event.outcome === "denied") {
    const what = REFUSED[event.resource_kind] ?? "your data";
    return `${subject} ${subject === "You" ? "were" : "was"} refused access to ${what}`;
  }
  let done = DONE[event.resource_kind]?.[event.action];
  if (!done) {
    const looked = event.action === "read" || event.action === "list";
    done = looked ? "viewed your data" : "changed your data";
  }
  if (event.resource_kind === "visit_report" && event.object_id) {
    const date = visitDate(event.object_id);
    if (date) done = `opened the report of your visit of ${date}`;
  }
  return `${subject} ${done}`;
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
  if (error?.network) return OFFLINE_TEXT;
  if (error?.sessionExpired) return "Your session has ended. Please sign in again.";
  if (error?.status === 429) return "Too many requests. Wait a moment and try again.";
  return "The file could not be made. Please try again.";
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
      text: `Share ${file.name}`,
      onclick: async () => {
        try {
          await navigator.share({ files: [file], title: file.name });
          show("success", `${file.name} was shared.`);
        } catch (error) {
          if (error?.name === "AbortError") show("info", "Not shared.");
          else show("error", "The file could not be shared. Please try again.");
        }
      },
    });

  button.addEventListener("click", async () => {
    if (busy) return;
    if (navigator.onLine === false) {
      show("error", OFFLINE_TEXT);
      return;
    }
    busy = true;
    button.setAttribute("aria-busy", "true");
    status.replaceChildren(message("info", "Preparing your file…"));
    try {
      const response = await fetchFile(path);
      const name = attachmentName(response.headers.get("Content-Disposition"), fallbackName);
      const type = bareType(response.headers.get("Content-Type"));
      const blob = await response.blob();
      const file = new File([blob], name, { type });
      if (canShareFile(file)) {
        try {
          await navigator.share({ files: [file], title: name });
          show("success", `${name} was shared.`);
        } catch (error) {
          if (error?.name === "AbortError") {
            show("info", "Not shared.");
          } else if (error?.name === "NotAllowedError") {
            status.replaceChildren(
              message("info", "Your file is ready."),
              h("div", { class: "row-actions" }, shareAgain(file)),
            );
            announce("Your file is ready. Choose Share to save it.");
          } else {
            saveFile(file, name);
            show("success", `${name} is downloading.`);
          }
        }
      } else {
        saveFile(file, name);
        show("success", `${name} is downloading.`);
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
    h("h2", { id: "downloads-title", text: "Take a copy" }),
    h("p", {
      text: "Your check-ins and visits are yours. Keep a copy, or give it to another clinic.",
    }),
    h(
      "ul",
      { class: "visit-report-list" },
      downloadButton({
        path: `/api/v1/patients/${user.id}/entries.csv`,
        text: "Download my check-ins (CSV)",
        description: "Every check-in, one per line: opens in a spreadsheet.",
        fallbackName: "relief-checkins.csv",
        kind: "csv",
      }),
      downloadButton({
        path: `/api/v1/patients/${user.id}/fhir/`,
        text: "Download my record (FHIR)",
        description: "Visits and check-ins in the format clinics' systems read (FHIR R4).",
        fallbackName: "relief-record.fhir.json",
        kind: "fhir",
      }),
    ),
  );
}

// --------------------------------------------------------------------------- visits

const visitText = (visit) =>
  `${formatDate(visit.local_date)} · ${label(CONDITIONS, visit.condition)}`;

function visitItem(visit) {
  return h(
    "li",
    { "data-visit": visit.id },
    h("p", { text: visitText(visit) }),
    printReportButton(visit, { name: `injection of ${visitText(visit)}` }),
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
        ? "You are offline. Try again when you are online."
        : "More could not be loaded. Please try again.";
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
    h("h2", { id: "visits-title", text: "Reports of my visits" }),
  );
  if (!firstPage.results.length) {
    section.append(h("p", { text: "No visit has been recorded yet." }));
    return section;
  }
  section.append(
    h("p", { class: "hint", text: "A report opens in a new tab, ready to print or save as PDF." }),
    list,
  );
  let page = 1;
  const more = moreButton({
    text: "Show more visits",
    load: async () => {
      const next = await json(`/api/v1/visits/${qs({ page_size: VISIT_PAGE, page: page + 1 })}`);
      page += 1;
      next.results.forEach(remember);
      more.button.hidden = !next.next;
      appendAndFocus(list, next.results.map(visitItem));
      announce(`${next.results.length} more visits shown.`);
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
    text: "Load more",
    load: async () => {
      const next = await json(url(page + 1));
      page += 1;
      more.button.hidden = !next.next;
      appendAndFocus(list, next.results.map(item));
      announce(`${next.results.length} more shown.`);
    },
  });

  const show = (first) => {
    page = 1;
    until = first.results[0]?.at ?? null;
    list.replaceChildren(...first.results.map(item));
    empty.textContent = first.results.length
      ? ""
      : toggle.checked
        ? "Nothing has been recorded yet."
        : "No one but you has opened your data yet.";
    empty.hidden = first.results.length > 0;
    more.button.hidden = !first.next;
  };

  toggle.addEventListener("change", async () => {
    status.replaceChildren();
    try {
      const first = await json(url(1));
      show(first);
      announce(toggle.checked ? "Showing what you did too." : "Showing what others did.");
    } catch (error) {
      const line = error?.network
        ? "You are offline. Try again when you are online."
        : "The list could not be loaded. Please try again.";
      status.replaceChildren(message("error", line));
      announce(line);
    }
  });

  const section = h(
    "section",
    { class: "card", "aria-labelledby": "audit-title" },
    h("h2", { id: "audit-title", text: "Who saw my data" }),
    h("p", {
      class: "hint",
      text: "Relief writes down every time someone opens or changes your check-ins, visits or record, and every time someone was refused. Newest first.",
    }),
    h(
      "p",
      { class: "toggle" },
      toggle,
      h("label", { for: toggleId, text: "Also show what I did myself" }),
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
    h("h1", { tabindex: "-1", text: "My data" }),
    downloadsSection(user),
    visitsSection(visits, remember),
    audit.section,
  );
}
