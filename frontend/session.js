// The session on this device: restoring it at start-up, signing in and out, a session that
// ended on the server, and the sync status line. app.js loads this module after the first
// screen is drawn, so that a patient's check-in form never waits for it.

import * as api from "./api.js";
import * as device from "./device.js";
import { announce, confirmDialog } from "./dom.js";
import { language, loadLanguage, onLanguageChange, supported, t } from "./i18n.js";
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
  if (!navigator.onLine) parts.push(t("sync.offline"));
  if (s.waiting > refused) parts.push(t("sync.waiting", { count: s.waiting - refused }));
  if (refused > 0) parts.push(t("sync.refused", { count: refused }));
  if (s.waiting === 0 && navigator.onLine && !s.stopped) parts.push(t("sync.allSynced"));
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
    sendPendingLanguage();
  });
  addEventListener("offline", () => renderSync(sync.status()));
  onLanguageChange(() => renderSync(sync.status()));
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
    await profileLanguage(fresh);
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
  await profileLanguage(user);
  ctx.focusNext();
  if (ctx.currentPath() === "/") ctx.route();
  else ctx.navigate("/");
  if (user.role === "patient") sync.start(user);
}

/** The signed-in user's profile changed (name, timezone): keep it here and on the device. */
export async function profileChanged(user) {
  ctx.user = user;
  await idb.setMeta("user", user);
  // The profile's language is this device's, unless a newer choice is still to be sent.
  if (supported(user?.language) && !device.languagePending()) device.rememberLanguage(user.language);
}

// --------------------------------------------------------------------------- language

/**
 * The profile read from the server (sign-in, the session confirmed at start-up): its
 * language becomes this device's, unless a choice made here has not reached the server yet
 * (made offline): then that choice is sent, and the server's older value is not applied.
 */
async function profileLanguage(user) {
  if (device.languagePending()) {
    sendPendingLanguage(); // in the background: the first screen does not wait for it
    return;
  }
  const lang = supported(user?.language) ?? supported(device.storedLanguage()) ?? language();
  device.rememberLanguage(lang);
  if (lang !== language()) await loadLanguage(lang).catch(() => {});
}

let sendingLanguage = null;
/** Sends a language chosen on this device to the server (PATCH me), if one is pending. */
export function sendPendingLanguage() {
  if (!device.languagePending() || !ctx?.user) return Promise.resolve();
  sendingLanguage ??= (async () => {
    const lang = device.storedLanguage();
    try {
      const updated = await api.json("/api/v1/auth/me/", { method: "PATCH", body: { language: lang } });
      // Chosen again while this was on its way: the newer choice is sent next time.
      if (device.storedLanguage() === lang) device.setLanguagePending(false);
      if (ctx.user?.id === updated?.id) await profileChanged(updated);
    } catch (error) {
      // A server that keeps no language (older than #18) refuses the field: the choice
      // stays on this device alone. Offline or a failure: still pending, sent again when
      // back online or at the next start.
      if (error?.status === 400 && error.body?.fields?.language) device.setLanguagePending(false);
    }
  })().finally(() => {
    sendingLanguage = null;
  });
  return sendingLanguage;
}

/**
 * The app's language chosen here (Settings, or the sign-in page): applied at once (the
 * catalog is precached, so offline too), kept on this device and saved to the profile now
 * or as soon as the server can be reached (chosen on the sign-in page: once signed in, so
 * that the language someone picked is the one they keep).
 */
export async function chooseLanguage(lang) {
  const code = supported(lang);
  if (!code) return;
  device.rememberLanguage(code);
  device.setLanguagePending(true);
  await loadLanguage(code);
  await sendPendingLanguage();
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
    waiting > 0 ? t("session.endedWaiting", { count: waiting }) : t("error.sessionEnded");
  await ctx.route();
  announce(ctx.notice);
}

// --------------------------------------------------------------------------- sign-out

export async function signOut() {
  const waiting = ctx.user?.role === "patient" ? await sync.refreshCount() : 0;
  if (waiting > 0) {
    const choice = await confirmDialog({
      title: t("session.notSentTitle"),
      message: t("session.notSent", { count: waiting }),
      buttons: [
        { value: "sync", label: t("session.sendNow"), kind: "primary" },
        { value: "discard", label: t("session.discard"), kind: "danger" },
        { value: "cancel", label: t("common.cancel") },
      ],
    });
    if (choice === "sync") {
      const result = await sync.flush();
      announce(
        result.remaining === 0
          ? t("session.allSent")
          : t("session.stillWaiting", { count: result.remaining }),
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
  ctx.notice = ended ? t("session.signedOut") : t("session.signedOutOffline");
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
  const textSize = device.textSize(); // about the screen, not the person: kept
  localStorage.clear();
  sessionStorage.clear();
  device.setTextSize(textSize);
}
