// Settings: reminders as notifications on this phone (patients only). What the phone allows
// and whether this patient turned them on here; one button to change it.

import { announce, h, uid } from "../dom.js";

const TEXT = {
  on: "Reminders come to this phone as notifications.",
  off: "Reminders do not come to this phone as notifications. They come by e-mail instead.",
  blocked:
    "Notifications are blocked for Relief in this browser, so reminders come by e-mail. To " +
    "get them here, allow notifications for this site in the browser's settings.",
  unsupported:
    "This browser cannot show notifications from Relief, so reminders come by e-mail. On an " +
    "iPhone, add Relief to your Home Screen first (Share, then Add to Home Screen).",
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
    status.textContent = TEXT[state];
    button.hidden = state === "blocked" || state === "unsupported";
    button.textContent = state === "on" ? "Turn off notifications" : "Turn on notifications";
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
      say("success", "Notifications are off for this phone.");
    } else {
      // Straight from the tap: the browser asks for permission only in answer to one.
      const outcome = await push.turnOn().catch(() => "failed");
      show(outcome === "on" ? "on" : await push.state().catch(() => "off"));
      if (outcome === "on") say("success", "Notifications are on for this phone.");
      else if (outcome === "denied") {
        say("info", "Notifications were not allowed, so reminders come by e-mail.");
      } else {
        say("info", "This phone could not turn on notifications just now. Please try later.");
      }
    }
    button.disabled = false;
  });
  show(current);
  return h(
    "section",
    { class: "card settings-notifications", "aria-labelledby": titleId },
    h("h2", { id: titleId, text: "Notifications" }),
    status,
    button,
    result,
  );
}
