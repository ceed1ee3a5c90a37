// A visit's flags for the physician (issue #17): each episode with its state and history.
// An open flag has an "Acknowledge" button with an optional note; an acknowledged one says
// by whom and when, with the note; a resolved one says when and why.

import { request } from "../api.js";
import { formatDate, formatDateTime } from "../dates.js";
import { announce, h, uid } from "../dom.js";
import { FLAG_STATES, FLAG_TITLES, flagRaisedLine, flagStateLine, label } from "../format.js";
import { t } from "../i18n.js";

const DATES = { formatDate, formatDateTime };
const NOTE_MAX = 500;

function headingText(flags) {
  const open = flags.filter((f) => f.state === "open").length;
  return open ? t("flags.heading", { count: open }) : t("flags.headingNone");
}

function acknowledgeForm(visit, flag, title, done) {
  const noteId = uid("flag-note");
  const note = h("textarea", { id: noteId, name: "note", rows: "2", maxlength: String(NOTE_MAX) });
  const button = h("button", {
    type: "submit",
    class: "button secondary small",
    text: t("flags.acknowledge"),
    "aria-label": t("flags.acknowledgeLabel", { title, raised: flagRaisedLine(flag, DATES) }),
  });
  const status = h("p", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { class: "flag-acknowledge", "data-acknowledge": flag.code },
    h("label", { for: noteId, text: t("flags.noteLabel") }),
    note,
    button,
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    status.textContent = "";
    try {
      const { status: code, body } = await request(
        `/api/v1/visits/${visit.id}/flags/${flag.code}/acknowledge/`,
        { method: "POST", body: { note: note.value.trim() } },
      );
      if (code === 201) {
        announce(t("flags.acknowledged", { title }));
        done(body);
        return;
      }
      status.textContent = body?.detail || t("flags.failed");
    } catch {
      status.textContent = t("flags.notSent");
    }
    button.disabled = false;
  });
  return form;
}

function flagItem(visit, flag, onAcknowledged) {
  const title = label(FLAG_TITLES, flag.code);
  const item = h(
    "li",
    {
      class: `flag flag-${flag.state}`,
      "data-flag": flag.code,
      "data-state": flag.state,
      "data-raised-day": String(flag.raised_day ?? flag.day),
    },
    h(
      "p",
      { class: "flag-head" },
      h("strong", { text: title }),
      " ",
      h("span", { class: "flag-state", text: label(FLAG_STATES, flag.state) }),
      " · ",
      h("span", { class: "flag-day", text: flagRaisedLine(flag, DATES) }),
    ),
  );
  if (flag.state === "resolved") {
    // What resolved it first: the flag's own words (e.g. "may not be responding") no
    // longer hold, so they stay folded away as history.
    item.append(
      h("p", { class: "flag-resolution", text: flagStateLine(flag, DATES) }),
      h(
        "details",
        { class: "flag-was" },
        h("summary", { text: t("flags.whatWasFlagged") }),
        h("p", { text: flag.message }),
      ),
    );
  } else {
    item.append(h("p", { class: "flag-message", text: flag.message }));
  }
  if (flag.acknowledged) {
    const ack = flag.acknowledged;
    item.append(
      h("p", {
        class: "flag-ack",
        text: t("flags.acknowledgedBy", { by: ack.by, when: formatDateTime(ack.at) }),
      }),
    );
    if (ack.note) {
      item.append(h("p", { class: "flag-note", text: t("flags.note", { note: ack.note }) }));
    }
  }
  if (flag.state === "open") item.append(acknowledgeForm(visit, flag, title, onAcknowledged));
  return item;
}

/** The visit's flags, oldest first (its history), each with its state. */
export function flagsSection(visit, flags) {
  const shown = [...flags];
  const headingId = uid("flags-heading");
  const heading = h("h4", { id: headingId, class: "flags-heading" });
  const list = h("ul", { class: "flags" });
  const render = (focusIndex = null) => {
    heading.textContent = headingText(shown);
    const items = shown.map((flag, index) =>
      flagItem(visit, flag, (updated) => {
        shown[index] = updated;
        render(index);
      }),
    );
    list.replaceChildren(...items);
    if (focusIndex !== null) {
      const head = items[focusIndex].querySelector(".flag-head");
      head.tabIndex = -1;
      head.focus();
    }
  };
  render();
  return h(
    "section",
    { class: "flag-history", "aria-labelledby": headingId, "data-flags": visit.id },
    heading,
    list,
  );
}
