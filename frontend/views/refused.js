// Check-ins the server refused (a phone clock set wrong, say): the patient sees why and
// either corrects and sends one again or discards it. Shown on the check-in screen while
// there are any; loaded only then.

import { formatDateTime } from "../dates.js";
import { announce, confirmDialog, h, uid } from "../dom.js";
import { refusalMessages } from "../format.js";
import { facts } from "./entries.js";
import { entryForm } from "./form.js";

/**
 * A card listing `items` (refused outbox items), or null when there are none.
 * `sync` is sync.js (discard / resend); `timeZone` the patient's.
 */
export function refusedCard({ items, sync, timeZone }) {
  if (!items.length) return null;
  const titleId = uid("refused-title");
  return h(
    "section",
    { class: "card refused", "aria-labelledby": titleId, "data-refused-count": items.length },
    h("h2", { id: titleId, text: "Not accepted by the clinic" }),
    h("p", {
      text:
        items.length === 1
          ? "This check-in was refused by the clinic's server, so it has not been sent. " +
            "Correct it and send it again, or discard it."
          : `These ${items.length} check-ins were refused by the clinic's server, so they have ` +
            "not been sent. Correct each and send it again, or discard it.",
    }),
    h(
      "ul",
      { class: "entries" },
      items.map((item) => refusedRow({ item, sync, timeZone })),
    ),
  );
}

function refusedRow({ item, sync, timeZone }) {
  const row = h("li", { class: "entry refused-entry", "data-refused": item.id });
  const errorsId = uid("refusal");
  const show = () =>
    row.replaceChildren(
      h("p", {
        class: "entry-when",
        text: `Made ${formatDateTime(item.entry.felt_at, timeZone)}`,
      }),
      h("p", { text: facts(item.entry) }),
      item.entry.notes ? h("p", { class: "entry-notes", text: item.entry.notes }) : null,
      h(
        "ul",
        { class: "refusal alert", id: errorsId },
        refusalMessages(item).map((text) => h("li", { text })),
      ),
      h(
        "div",
        { class: "row-actions" },
        h("button", {
          type: "button",
          class: "button secondary small",
          text: "Correct and send again",
          "aria-describedby": errorsId,
          onclick: edit,
        }),
        h("button", {
          type: "button",
          class: "button danger small",
          text: "Discard",
          "aria-describedby": errorsId,
          onclick: discard,
        }),
      ),
    );

  async function discard() {
    const choice = await confirmDialog({
      title: "Discard this check-in?",
      message: "It has not reached the clinic and will be deleted from this phone.",
      buttons: [
        { value: "discard", label: "Discard it", kind: "danger" },
        { value: "keep", label: "Keep it" },
      ],
    });
    if (choice !== "discard") return;
    await sync.discard(item.id);
    announce("Check-in discarded.");
  }

  function edit() {
    const timeRefused = Boolean(item.refused?.fields?.felt_at);
    const form = entryForm({
      entry: item.entry,
      submitLabel: "Send again",
      onSubmit: async (values) => {
        const result = await sync.resend(item.id, values);
        const refusedAgain = (await sync.refusedItems()).some((i) => i.id === item.id);
        announce(
          refusedAgain
            ? "The clinic's server refused this check-in again."
            : result?.remaining && (await sync.isWaiting(item.id))
              ? "Saved on this phone; it will be sent when you are back online."
              : "Check-in sent. Thank you!",
        );
      },
    });
    row.replaceChildren(
      h("p", {
        class: "entry-when",
        text: `Correct the check-in made ${formatDateTime(item.entry.felt_at, timeZone)}`,
      }),
      h(
        "ul",
        { class: "refusal alert" },
        refusalMessages(item).map((text) => h("li", { text })),
      ),
      timeRefused
        ? h("p", {
            class: "hint",
            text: "Its time was refused: it will be sent with the current time instead.",
          })
        : null,
      form,
      h("button", { type: "button", class: "button secondary", text: "Cancel", onclick: show }),
    );
    form.querySelector("input:checked, input")?.focus();
  }

  show();
  return row;
}
