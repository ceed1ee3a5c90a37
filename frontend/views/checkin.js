// Today's check-in: the patient's home screen. Works offline: a check-in goes into the
// IndexedDB outbox first, then is sent; the patient is told which of the two happened.

import { json } from "../api.js";
import { CONTACT_CLINIC, FLAG_ADVICE, URGENT, aftercareFor } from "../aftercare.js";
import { daysSinceLastVisit, isoWithOffset, localDate } from "../dates.js";
import { announce, h } from "../dom.js";
import { getMeta, setMeta } from "../idb.js";
import * as sync from "../sync.js";
import { entryForm, resetForm } from "./form.js";

const SEND_WAIT_MS = 4000;

function timeText(date) {
  return new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit" }).format(date);
}

/** Visits for aftercare: from the server when online, else the last copy on this device. */
async function knownVisits() {
  try {
    const page = await json("/api/v1/visits/?page_size=5");
    const visits = page.results.map((v) => ({ id: v.id, local_date: v.local_date }));
    await setMeta("visits", visits);
    return visits;
  } catch (error) {
    if (error?.sessionExpired) throw error;
    return (await getMeta("visits").catch(() => null)) ?? [];
  }
}

async function latestFlags(visit) {
  if (!visit) return [];
  try {
    const report = await json(`/api/v1/visits/${visit.id}/recovery/`);
    return report.flags ?? [];
  } catch {
    return [];
  }
}

function aftercareSection(day, flags) {
  const advice = aftercareFor(day);
  const personal = flags
    .map((f) => FLAG_ADVICE[f.code])
    .filter(Boolean)
    .filter((text, i, all) => all.indexOf(text) === i);
  return h(
    "section",
    { class: "card aftercare", "aria-labelledby": "aftercare-title" },
    h("h2", { id: "aftercare-title", text: "Aftercare for today" }),
    h("p", { class: "eyebrow", text: advice.heading }),
    h(
      "ul",
      {},
      advice.items.map((text) => h("li", { text })),
    ),
    personal.length
      ? h(
          "div",
          { class: "alert", role: "note" },
          h("h3", { text: "Please contact your clinic" }),
          h(
            "ul",
            {},
            personal.map((text) => h("li", { text })),
          ),
        )
      : null,
    h(
      "details",
      {},
      h("summary", { text: "When to contact the clinic" }),
      h(
        "ul",
        {},
        CONTACT_CLINIC.map((text) => h("li", { text })),
      ),
      h("h3", { text: "Get help the same day for" }),
      h(
        "ul",
        {},
        URGENT.map((text) => h("li", { text })),
      ),
    ),
  );
}

export async function checkinView(ctx) {
  const today = localDate(new Date(), ctx.user.timezone || undefined);
  const aftercareSlot = h("div", { class: "aftercare-slot" });
  const first = ctx.user.display_name ? ctx.user.display_name.split(" ")[0] : "";

  const form = entryForm({
    submitLabel: "Save check-in",
    onSubmit: async (values, { status }) => {
      const now = new Date();
      const item = await sync.queue({ ...values, felt_at: isoWithOffset(now) });
      resetForm(form);
      // Try to send at once, but never keep the patient waiting on a slow network.
      await Promise.race([
        sync.flush(),
        new Promise((resolve) => setTimeout(resolve, SEND_WAIT_MS)),
      ]);
      const waiting = await sync.isWaiting(item.id);
      const count = sync.status().waiting;
      const text = waiting
        ? `Check-in saved on this phone at ${timeText(now)}. It will be sent when you are back online (${count} waiting to sync).`
        : `Check-in saved at ${timeText(now)}. Thank you!`;
      status.replaceChildren(
        h("p", { class: `message ${waiting ? "pending" : "success"}`, "data-saved": item.id }, text),
      );
      status.scrollIntoView({ block: "nearest" });
      announce(text);
    },
  });

  const view = h(
    "section",
    { class: "stack" },
    h("h1", { tabindex: "-1", text: first ? `How are you today, ${first}?` : "How are you today?" }),
    h("p", { class: "lead", text: "Tap a number for each, then save. It takes a few seconds." }),
    form,
    aftercareSlot,
  );

  // Aftercare needs the visits; fill it in without holding up the form.
  knownVisits()
    .then(async (visits) => {
      const day = daysSinceLastVisit(visits, today);
      const latest = [...visits].sort((a, b) => (a.local_date < b.local_date ? 1 : -1))[0];
      const flags = navigator.onLine ? await latestFlags(latest) : [];
      aftercareSlot.replaceChildren(aftercareSection(day, flags));
    })
    .catch(() => aftercareSlot.replaceChildren(aftercareSection(null, [])));
  return view;
}
