// Today's check-in: the patient's home screen. Works offline: a check-in goes into the
// IndexedDB outbox first, then is sent; the patient is told which of the two happened.
//
// Drawing the form needs only form.js, format.js and dom.js: the modules for sending (sync,
// api) and for the aftercare card are imported after it is on the screen, so that a tap on a
// pain score registers as early as possible. Not even requested while the form is being built:
// five module requests cost the main thread of a slow phone ~15 ms before the first draw.

import { announce, h } from "../dom.js";
import { FLAG_ADVICE } from "../format.js";
import { t, tParts } from "../i18n.js";
import { entryForm, resetForm } from "./form.js";

const later = () =>
  Promise.all([
    import("../api.js"),
    import("../aftercare.js"),
    import("../dates.js"),
    import("../idb.js"),
    import("../sync.js"),
  ]).then(([api, aftercare, dates, idb, sync]) => ({ api, aftercare, dates, idb, sync }));

const SEND_WAIT_MS = 4000;

/** Visits for aftercare: from the server when online, else the last copy on this device. */
async function knownVisits({ api, idb }) {
  try {
    const page = await api.json("/api/v1/visits/?page_size=5");
    const visits = page.results.map((v) => ({ id: v.id, local_date: v.local_date }));
    await idb.setMeta("visits", visits);
    return visits;
  } catch (error) {
    if (error?.sessionExpired) throw error;
    return (await idb.getMeta("visits").catch(() => null)) ?? [];
  }
}

/**
 * The clinic's name and phone (GET /api/v1/clinic/, a deployment setting), kept on this
 * device so that the aftercare card can offer the call offline. The stored copy is shown at
 * once when there is one, and refreshed for next time.
 */
async function clinicInfo({ api, idb }) {
  const fetched = api.json("/api/v1/clinic/").then(async (clinic) => {
    const kept = { name: String(clinic?.name ?? ""), phone: String(clinic?.phone ?? "") };
    await idb.setMeta("clinic", kept);
    return kept;
  });
  const stored = await idb.getMeta("clinic").catch(() => null);
  if (stored) {
    fetched.catch(() => {});
    return stored;
  }
  return fetched.catch(() => null);
}

async function latestFlags({ api }, visit) {
  if (!visit) return [];
  try {
    const report = await api.json(`/api/v1/visits/${visit.id}/recovery/`);
    return report.flags ?? [];
  } catch {
    return [];
  }
}

function aftercareSection({ aftercare }, day, flags, clinic) {
  const { aftercareFor, contactClinic, telHref, urgent } = aftercare;
  const advice = aftercareFor(day);
  const personal = flags
    // A resolved flag no longer holds: no advice about it (issue #17).
    .filter((f) => f.state !== "resolved")
    .map((f) => FLAG_ADVICE[f.code])
    .filter(Boolean)
    .filter((text, i, all) => all.indexOf(text) === i);
  const href = telHref(clinic?.phone);
  const call = href
    ? h(
        "p",
        { class: "clinic-call" },
        tParts(clinic.name ? "checkin.callClinic" : "checkin.callYourClinic", {
          name: clinic.name,
          phone: h("a", { href, "data-clinic-phone": "", text: clinic.phone }),
        }),
      )
    : null;
  return h(
    "section",
    { class: "card aftercare", "aria-labelledby": "aftercare-title" },
    h("h2", { id: "aftercare-title", text: t("checkin.aftercareTitle") }),
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
          h("h3", { text: t("checkin.contactClinic") }),
          h(
            "ul",
            {},
            personal.map((text) => h("li", { text })),
          ),
          call?.cloneNode(true),
        )
      : null,
    // Always in view: what needs help the same day must never sit behind a tap.
    h(
      "div",
      { class: "urgent", "data-urgent": "" },
      h("h3", { text: t("checkin.urgentTitle") }),
      h(
        "ul",
        {},
        urgent().map((text) => h("li", { text })),
      ),
      call,
    ),
    h(
      "details",
      {},
      h("summary", { text: t("checkin.whenToContact") }),
      h(
        "ul",
        {},
        contactClinic().map((text) => h("li", { text })),
      ),
    ),
  );
}

const greeting = (user) => {
  const first = user?.display_name ? user.display_name.split(" ")[0] : "";
  return first ? t("checkin.greetingName", { name: first }) : t("checkin.greeting");
};

/** Keeps `slot` showing the check-ins the server refused, redrawn when that set changes. */
function watchRefused(slot, { sync }, timeZone) {
  let shown = "";
  let latest = 0;
  const redraw = async () => {
    const call = ++latest;
    const [items, { refusedCard }] = await Promise.all([
      sync.refusedItems(),
      import("./refused.js"),
    ]);
    const key = items.map((i) => `${i.id}:${i.attempts}`).join(",");
    if (call !== latest || key === shown) return; // a newer redraw has the fresher list
    shown = key;
    slot.replaceChildren(...[refusedCard({ items, sync, timeZone })].filter(Boolean));
  };
  let stop = null;
  stop = sync.onChange((state) => {
    if (!slot.isConnected) {
      stop?.(); // the patient has left the check-in screen
      return;
    }
    if (state.refused > 0 || shown) redraw().catch(() => {});
  });
}

export function checkinView(ctx) {
  const refusedSlot = h("div", { class: "refused-slot" });
  const aftercareSlot = h("div", { class: "aftercare-slot" });
  const heading = h("h1", { tabindex: "-1", text: greeting(ctx.user) });
  const modules = new Promise((resolve) => setTimeout(resolve, 0)).then(later); // next task

  const form = entryForm({
    submitLabel: t("checkin.save"),
    earlier: true,
    timeZone: () => ctx.user?.timezone || undefined,
    onSubmit: async (values, { status }) => {
      const now = new Date();
      const [{ dates, sync }, user] = await Promise.all([modules, ctx.whenProfile()]);
      if (!user) return; // nobody is signed in after all: the sign-in screen replaces this
      const zone = user.timezone || undefined;
      const felt = values.felt_at ?? dates.isoWithOffset(now);
      const item = await sync.queue({ ...values, felt_at: felt });
      resetForm(form);
      // "at 9:30 PM" for now; "for Mon, May 11, 2026, 9:00 PM" for an earlier time.
      const params = values.felt_at
        ? { when: dates.formatDateTime(felt, zone) }
        : { time: dates.formatTime(now, zone) };
      const earlier = Boolean(values.felt_at);
      // Try to send at once, but never keep the patient waiting on a slow network.
      await Promise.race([
        sync.flush(),
        new Promise((resolve) => setTimeout(resolve, SEND_WAIT_MS)),
      ]);
      const waiting = await sync.isWaiting(item.id);
      const refused = waiting && (await sync.refusedItems()).some((i) => i.id === item.id);
      const count = sync.status().waiting - sync.status().refused;
      let kind = "success";
      let text = t(earlier ? "checkin.savedFor" : "checkin.savedAt", params);
      if (refused) {
        kind = "error";
        text = t("checkin.refused", { title: t("refused.title") });
      } else if (waiting) {
        kind = "pending";
        text = t(earlier ? "checkin.waitingFor" : "checkin.waitingAt", { ...params, count });
      }
      status.replaceChildren(h("p", { class: `message ${kind}`, "data-saved": item.id }, text));
      status.scrollIntoView({ block: "nearest" });
      announce(text);
      if (kind === "success") import("../push.js").then((p) => p.offerNotifications(ctx, status)).catch(() => {});
    },
  });

  const view = h(
    "section",
    { class: "stack" },
    heading,
    h("p", { class: "lead", text: t("checkin.lead") }),
    refusedSlot,
    form,
    aftercareSlot,
  );

  // The greeting and the aftercare card need the profile and the visits: fill them in
  // without holding up the form.
  Promise.all([modules, ctx.whenProfile()])
    .then(async ([loaded, user]) => {
      if (!user) return;
      heading.textContent = greeting(user);
      if (heading.isConnected) document.title = t("app.title", { heading: heading.textContent });
      watchRefused(refusedSlot, loaded, user.timezone || undefined);
      const today = loaded.dates.localDate(new Date(), user.timezone || undefined);
      const clinic = await clinicInfo(loaded);
      try {
        const visits = await knownVisits(loaded);
        const day = loaded.dates.daysSinceLastVisit(visits, today);
        const latest = [...visits].sort((a, b) => (a.local_date < b.local_date ? 1 : -1))[0];
        const flags = navigator.onLine ? await latestFlags(loaded, latest) : [];
        aftercareSlot.replaceChildren(aftercareSection(loaded, day, flags, clinic));
      } catch {
        aftercareSlot.replaceChildren(aftercareSection(loaded, null, [], clinic));
      }
    })
    .catch(() => {});
  return view;
}
