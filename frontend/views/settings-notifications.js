// Settings: reminders as notifications on this phone (patients only). What the phone allows
// and whether this patient turned them on here; one button to change it.

import { announce, h, uid } from "../dom.js";
import { t } from "../i18n.js";

// What each state says (catalog keys).
const TEXT = {
  on: "settings.notifications.on",
  off: "settings.notifications.off",
  blocked: "settings.notifications.blocked",
  unsupported: "settings.notifications.unsupported",
};

export async function section(ctx) {
  if (ctx.user?.role !== "patient") return null;
  const push = await import("../push.js");
  const current = await push.state().catch(() => "unavailable");
  if (current === "unavailable") return null; // this clinic sends no notifications
  const titleId = uid("notifications-title");
  const status = h("p", { "data-push-state": current });
  const result = h("p", { class: "message", role: "status" });
  const button = h("button", { type: "button", class: "button secondary" });
  const show = (state) => {
    status.dataset.pushState = state;
    status.textContent = t(TEXT[state]);
    button.hidden = state === "blocked" || state === "unsupported";
    button.textContent =
      state === "on" ? t("settings.notifications.turnOff") : t("settings.notifications.turnOn");
  };
  const say = (kind, text) => {
    result.className = `message ${kind}`;
    result.textContent = text;
    announce(text);
  };
  button.addEventListener("click", async () => {
    button.disabled = true;
    if (status.dataset.pushState === "on") {
      await push.turnOff();
      show("off");
      say("success", t("settings.notifications.nowOff"));
    } else {
      // Straight from the tap: the browser asks for permission only in answer to one.
      const outcome = await push.turnOn().catch(() => "failed");
      show(outcome === "on" ? "on" : await push.state().catch(() => "off"));
      if (outcome === "on") say("success", t("settings.notifications.nowOn"));
      else if (outcome === "denied") say("info", t("settings.notifications.denied"));
      else say("info", t("settings.notifications.failed"));
    }
    button.disabled = false;
  });
  show(current);
  return h(
    "section",
    { class: "card settings-notifications", "aria-labelledby": titleId },
    h("h2", { id: titleId, text: t("settings.notifications.title") }),
    status,
    button,
    result,
  );
}
