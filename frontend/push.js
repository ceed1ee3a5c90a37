// Reminders as notifications on this phone (Web Push). Loaded only when needed: after a
// check-in reached the clinic, and on the settings screen.
//
// The app asks for notification permission only when the patient taps "Turn on reminders"
// on a card that says why, and offers that card only after a successful check-in, never on
// first open. "Not now" is remembered on this device (until sign-out, which clears it).
//
// The server's side: push/ (the key, the subscriptions, push_send); the service worker shows
// each push as a notification and a tap opens today's check-in.

import * as api from "./api.js";
import { announce, h, uid } from "./dom.js";
import { t } from "./i18n.js";

// "on": this user turned notifications on here; "declined": "Not now" (or it failed). Cleared
// with the rest of localStorage at sign-out, so the next person on the phone is asked afresh.
const CHOICE = "relief.push";

function remembered() {
  try {
    return globalThis.localStorage?.getItem(CHOICE) ?? null;
  } catch {
    return null;
  }
}

function remember(choice) {
  try {
    if (choice === null) globalThis.localStorage?.removeItem(CHOICE);
    else globalThis.localStorage?.setItem(CHOICE, choice);
  } catch {
    // storage disabled: the card may be offered again
  }
}

/** Bytes of a base64url string (the server's key), for pushManager.subscribe(). */
export function fromBase64url(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), "="));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** Whether a subscription was made with `key` (base64url); a new server key needs a new one. */
export function sameKey(buffer, key) {
  if (!buffer || !key) return false;
  const a = new Uint8Array(buffer);
  const b = fromBase64url(key);
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Whether this browser can get push notifications at all. */
export function supported() {
  return (
    "serviceWorker" in navigator && "PushManager" in globalThis && "Notification" in globalThis
  );
}

let keyRequest = null;
/** The server's application server key, or null when it sends no push notifications. */
function serverKey() {
  keyRequest ??= api.json("/api/v1/push/key/").then(
    (body) => body.public_key ?? null,
    (error) => {
      keyRequest = null; // try again next time
      throw error;
    },
  );
  return keyRequest;
}

async function registration() {
  return (await navigator.serviceWorker.getRegistration("/")) ?? navigator.serviceWorker.ready;
}

/** This browser's push subscription, if it has one. */
async function browserSubscription() {
  return (await registration()).pushManager.getSubscription();
}

async function sendToServer(subscription) {
  const { endpoint, keys } = subscription.toJSON();
  await api.json("/api/v1/push/subscriptions/", {
    method: "POST",
    body: { endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth } },
  });
}

/** A subscription made with the server's current key (an old one is replaced), sent to it. */
async function subscribe(key) {
  const reg = await registration();
  let subscription = await reg.pushManager.getSubscription();
  if (subscription && !sameKey(subscription.options?.applicationServerKey, key)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ??= await reg.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: fromBase64url(key),
  });
  await sendToServer(subscription);
}

/**
 * Turns notifications on for this phone. Call it straight from a tap: the browser asks for
 * permission only in answer to one. Resolves to "on", "denied" (blocked, or the question
 * dismissed) or "failed" (this browser could not subscribe).
 */
export async function turnOn() {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return "denied";
  try {
    const key = await serverKey();
    if (!key) return "failed";
    await subscribe(key);
  } catch (error) {
    if (error?.sessionExpired) throw error;
    return "failed";
  }
  remember("on");
  return "on";
}

/** Turns notifications off for this phone: the browser forgets the subscription, and so
 *  does the server (which would otherwise learn it when its next push is refused). */
export async function turnOff() {
  remember("declined");
  const subscription = await browserSubscription().catch(() => null);
  if (!subscription) return;
  const { endpoint } = subscription;
  await subscription.unsubscribe().catch(() => false);
  await api
    .request(`/api/v1/push/subscriptions/?endpoint=${encodeURIComponent(endpoint)}`, {
      method: "DELETE",
    })
    .catch(() => {});
}

/**
 * Where notifications stand on this phone for the signed-in patient: "unavailable" (the
 * server sends none), "unsupported" (this browser), "blocked" (denied in the browser),
 * "on" or "off". Someone else's subscription left on a shared phone counts as off.
 */
export async function state() {
  if (!(await serverKey())) return "unavailable";
  if (!supported()) return "unsupported";
  if (Notification.permission === "denied") return "blocked";
  if (remembered() !== "on" || Notification.permission !== "granted") return "off";
  const subscription = await browserSubscription().catch(() => null);
  return subscription ? "on" : "off";
}

/**
 * Called once a patient's check-in has reached the clinic: offers reminders on this phone,
 * with a card saying why, placed after the form that holds `status`. Offered until the
 * patient answers; where they turned them on, the subscription is quietly sent again (the
 * browser may have renewed it).
 */
let resent = false; // once per page load

export async function offerNotifications(ctx, status) {
  if (ctx.user?.role !== "patient" || !supported()) return;
  if (Notification.permission === "denied") return;
  const choice = remembered();
  if (choice === "declined") return;
  const key = await serverKey().catch(() => null);
  if (!key) return;
  if (choice === "on") {
    if (!resent && Notification.permission === "granted") {
      resent = true;
      await subscribe(key).catch(() => {});
    }
    return;
  }
  const form = status?.closest("form");
  if (!form?.isConnected || document.querySelector(".push-offer")) return;
  const card = offerCard();
  form.after(card);
  card.scrollIntoView({ block: "nearest" });
}

function offerCard() {
  const titleId = uid("push-offer-title");
  const result = h("p", { class: "message", role: "status" });
  const turnOnButton = h("button", {
    type: "button",
    class: "button primary",
    text: t("push.turnOn"),
  });
  const notNow = h("button", { type: "button", class: "button secondary", text: t("push.notNow") });
  const card = h(
    "section",
    { class: "card push-offer", "aria-labelledby": titleId },
    h("h2", { id: titleId, text: t("push.title") }),
    h("p", { text: t("push.why") }),
    h("div", { class: "stack" }, turnOnButton, notNow),
    result,
  );
  const done = (kind, text) => {
    turnOnButton.remove();
    notNow.remove();
    result.className = `message ${kind}`;
    result.textContent = text;
    announce(text);
  };
  turnOnButton.addEventListener("click", async () => {
    turnOnButton.disabled = true;
    notNow.disabled = true;
    const outcome = await turnOn().catch(() => "failed");
    if (outcome === "on") {
      done("success", t("push.on"));
      return;
    }
    remember("declined");
    done(
      "info",
      outcome === "denied" ? t("push.denied") : t("push.failed"),
    );
  });
  notNow.addEventListener("click", () => {
    remember("declined");
    const focusAfter = card.previousElementSibling;
    card.remove();
    focusAfter?.querySelector?.("button[type=submit]")?.focus();
    announce(t("push.declined"));
  });
  return card;
}
