// The session on this device: restoring it at start-up, signing in and out, a session that
// ended on the server, and the sync status line. app.js loads this module after the first
// screen is drawn, so that a patient's check-in form never waits for it.

import * as api from "./api.js";
import * as device from "./device.js";
import { announce, confirmDialog } from "./dom.js";
import * as idb from "./idb.js";
import * as sync from "./sync.js";

const syncStatus = document.getElementById("sync-status");
let ctx = null;

// --------------------------------------------------------------------------- sync status

function renderSync(s) {
  if (!ctx?.user || ctx.user.role !== "patient") {
    syncStatus.replaceChildren();
    return;
  }
  const parts = [];
  const refused = s.refused ?? 0;
  if (!navigator.onLine) parts.push("Offline");
  if (s.waiting > refused) parts.push(`${s.waiting - refused} waiting to sync`);
  if (refused > 0) parts.push(`${refused} not accepted`);
  if (s.waiting === 0 && navigator.onLine && !s.stopped) parts.push("All synced");
  syncStatus.textContent = parts.join(" · ");
  syncStatus.dataset.waiting = String(s.waiting);
  syncStatus.dataset.refused = String(refused);
  syncStatus.classList.toggle("pending", s.waiting > 0);
  if (s.stopped === "auth") showSessionEnded();
}

// --------------------------------------------------------------------------- start-up

/**
 * Installs the session's listeners and reads who is signed in on this device (IndexedDB).
 * Resolves to the stored profile or null. A patient's outbox is adopted at once, so a
 * check-in saved before the session is confirmed is theirs, not nobody's.
 */
export async function restore(appCtx) {
  ctx = appCtx;
  // A sign-out made offline is sent first; api.refresh() also checks, so no refresh can
  // extend that session meanwhile.
  api.settleSignOut();
  sync.onChange(renderSync);
  addEventListener("online", () => {
    api.settleSignOut();
    renderSync(sync.status());
  });
  addEventListener("offline", () => renderSync(sync.status()));
  api.onSessionExpired(() => {
    sessionEndedShown = false;
    showSessionEnded();
  });
  const known = (await idb.getMeta("user").catch(() => undefined)) ?? null;
  device.rememberRole(known?.role);
  if (known?.role === "patient") await sync.adopt(known);
  return known;
}

/** Confirms the session with the server (a refresh), then starts syncing the outbox. */
export async function resume() {
  try {
    const fresh = await api.refresh();
    if (ctx.user) ctx.user = fresh;
    await idb.setMeta("user", fresh);
    device.rememberRole(fresh.role);
  } catch (error) {
    // NetworkError: offline, carry on. SessionExpired: the listener asks to sign in again.
    if (!error?.network && !error?.sessionExpired) throw error;
    if (error?.sessionExpired) return;
  }
  if (ctx.user?.role === "patient") sync.start(ctx.user);
}

// --------------------------------------------------------------------------- sign-in

export async function signedIn(user) {
  sessionEndedShown = false;
  ctx.user = user;
  ctx.notice = null;
  await idb.setMeta("user", user);
  device.rememberRole(user.role);
  ctx.focusNext();
  if (ctx.currentPath() === "/") ctx.route();
  else ctx.navigate("/");
  if (user.role === "patient") sync.start(user);
}

/** The signed-in user's profile changed (name, timezone): keep it here and on the device. */
export async function profileChanged(user) {
  ctx.user = user;
  await idb.setMeta("user", user);
}

let sessionEndedShown = false;
async function showSessionEnded() {
  if (sessionEndedShown || !ctx.user) return;
  sessionEndedShown = true;
  const user = ctx.user;
  ctx.user = null;
  ctx.lastEmail = user.email;
  sync.stop();
  const waiting = (await idb.outboxStore.all().catch(() => [])).filter(
    (item) => item.owner === user.id,
  ).length;
  ctx.notice =
    waiting > 0
      ? `Your session has ended. Sign in again to send ${waiting} waiting check-in${waiting === 1 ? "" : "s"}.`
      : "Your session has ended. Please sign in again.";
  await ctx.route();
  announce(ctx.notice);
}

// --------------------------------------------------------------------------- sign-out

export async function signOut() {
  const waiting = ctx.user?.role === "patient" ? await sync.refreshCount() : 0;
  if (waiting > 0) {
    const choice = await confirmDialog({
      title: "Check-ins not sent yet",
      message:
        `${waiting} check-in${waiting === 1 ? " has" : "s have"} not reached the clinic yet. ` +
        "Signing out deletes them from this device.",
      buttons: [
        { value: "sync", label: "Try to send now", kind: "primary" },
        { value: "discard", label: "Sign out and delete them", kind: "danger" },
        { value: "cancel", label: "Cancel" },
      ],
    });
    if (choice === "sync") {
      const result = await sync.flush();
      announce(
        result.remaining === 0
          ? "All check-ins sent."
          : `${result.remaining} still waiting: you may be offline.`,
      );
      if (result.remaining > 0) return;
    } else if (choice !== "discard") return;
  }
  // Offline (or the server failing) does not stop a sign-out: this phone forgets everything
  // now, and the session is ended on the server at the next chance (api.settleSignOut).
  let ended = true;
  try {
    await api.signOut();
  } catch (error) {
    ended = !(error?.network || error?.status >= 500);
  }
  await clearDevice();
  if (!ended) device.setLogoutPending(true);
  ctx.user = null;
  renderSync(sync.status()); // nobody is signed in: no sync status in the top bar
  ctx.notice = ended
    ? "You have signed out."
    : "You have signed out of this phone. Your session on the clinic's server will be " +
      "ended as soon as this phone is back online.";
  location.hash = "/";
  ctx.route();
  announce(ctx.notice);
}

/** Removes everything this app keeps on the device: IndexedDB, caches, web storage. */
async function clearDevice() {
  sync.stop();
  api.forgetAccess();
  // A shared phone: the next person to sign in must not get this one's reminders (the push
  // service then answers 410 for it, and the server forgets the subscription).
  await navigator.serviceWorker
    ?.getRegistration()
    .then((registration) => registration?.pushManager?.getSubscription())
    .then((subscription) => subscription?.unsubscribe())
    .catch(() => {});
  await idb.destroy().catch(() => {});
  if (globalThis.caches) {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith("relief-")).map((n) => caches.delete(n)));
  }
  localStorage.clear();
  sessionStorage.clear();
}
