// Check-ins the server refused (a phone clock set wrong, say): the patient sees why and
// either corrects and sends one again or discards it. Shown on the check-in screen while
// there are any; loaded only then.

import { formatDateTime } from "../dates.js";
import { announce, confirmDialog, h, uid } from "../dom.js";
import { refusalMessages } from "../format.js";
import { t } from "../i18n.js";
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
    h("h2", { id: titleId, text: t("refused.title") }),
    h("p", { text: t("refused.lead", { count: items.length }) }),
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
  const show = () => {
    row.classList.remove("editing");
    row.replaceChildren(
      h("p", {
        class: "entry-when",
        text: t("refused.made", { when: formatDateTime(item.entry.felt_at, timeZone) }),
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
          text: t("refused.correct"),
          "aria-describedby": errorsId,
          onclick: edit,
        }),
        h("button", {
          type: "button",
          class: "button danger small",
          text: t("refused.discard"),
          "aria-describedby": errorsId,
          onclick: discard,
        }),
      ),
    );
  };

  async function discard() {
    const choice = await confirmDialog({
      title: t("refused.discardTitle"),
      message: t("refused.discardText"),
      buttons: [
        { value: "discard", label: t("refused.discardIt"), kind: "danger" },
        { value: "keep", label: t("refused.keepIt") },
      ],
    });
    if (choice !== "discard") return;
    await sync.discard(item.id);
    announce(t("refused.discarded"));
  }

  function edit() {
    const timeRefused = Boolean(item.refused?.fields?.felt_at);
    const form = entryForm({
      entry: item.entry,
      submitLabel: t("refused.sendAgain"),
      onSubmit: async (values) => {
        const result = await sync.resend(item.id, values);
        const refusedAgain = (await sync.refusedItems()).some((i) => i.id === item.id);
        announce(
          refusedAgain
            ? t("refused.again")
            : result?.remaining && (await sync.isWaiting(item.id))
              ? t("refused.savedOffline")
              : t("refused.sent"),
        );
      },
    });
    row.classList.add("editing");
    row.replaceChildren(
      h("p", {
        class: "entry-when",
        text: t("refused.correctMade", { when: formatDateTime(item.entry.felt_at, timeZone) }),
      }),
      h(
        "ul",
        { class: "refusal alert" },
        refusalMessages(item).map((text) => h("li", { text })),
      ),
      timeRefused
        ? h("p", {
            class: "hint",
            text: t("refused.timeRefused"),
          })
        : null,
      form,
      h("button", { type: "button", class: "button secondary", text: t("common.cancel"), onclick: show }),
    );
    form.querySelector("input:checked, input")?.focus();
  }

  show();
  return row;
}
