// Relief's web app: boot, session, layout and routing. One concern per module:
// api.js (HTTP + tokens), idb.js (IndexedDB), outbox.js/sync.js (offline check-ins),
// charts.js (plotly, loaded lazily), views/* (screens).

import * as api from "./api.js";
import { announce, confirmDialog, h } from "./dom.js";
import * as idb from "./idb.js";
import * as sync from "./sync.js";
import { checkinView } from "./views/checkin.js";
import { acceptView, signInView } from "./views/signin.js";

// The check-in and sign-in screens are in the first download; the others load when opened.
const lazy = (path, name) => async (...args) => (await import(path))[name](ctx, ...args);
const recoveryView = lazy("./views/recovery.js", "recoveryView");
const editView = lazy("./views/recovery.js", "editView");
const patientsView = lazy("./views/patients.js", "patientsView");
const patientView = lazy("./views/patient.js", "patientView");
const practiceView = lazy("./views/practice.js", "practiceView");
const inviteView = lazy("./views/invite.js", "inviteView");

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const syncStatus = document.getElementById("sync-status");
const signOutButton = document.getElementById("sign-out");

const ctx = {
  user: null,
  notice: null, // a message for the next sign-in screen
  navigate: (path) => {
    if (location.hash === `#${path}`) route();
    else location.hash = path;
  },
  signedIn: (user) => signedIn(user),
};

// --------------------------------------------------------------------------- routes

const PATIENT_ROUTES = [
  [/^\/$/, () => checkinView(ctx)],
  [/^\/recovery$/, () => recoveryView()],
  [/^\/edit\/([0-9a-f-]{36})$/, (id) => editView(id)],
];
const PHYSICIAN_ROUTES = [
  [/^\/$/, () => patientsView()],
  [/^\/patients\/([0-9a-f-]{36})$/, (id) => patientView(id)],
  [/^\/practice$/, () => practiceView()],
  [/^\/invite$/, () => inviteView()],
];
const PUBLIC_ROUTES = [
  [/^\/accept$/, () => acceptView(ctx)],
  [/^.*$/, () => signInView(ctx)],
];
const NAV = {
  patient: [
    ["/", "Check in"],
    ["/recovery", "My recovery"],
  ],
  physician: [
    ["/", "Patients"],
    ["/practice", "Practice"],
    ["/invite", "Invite"],
  ],
};

function currentPath() {
  const hash = location.hash.replace(/^#/, "");
  return hash.startsWith("/") ? hash.split("?")[0] : "/";
}

let renderToken = 0;

async function route() {
  const path = currentPath();
  const routes = ctx.user
    ? ctx.user.role === "physician"
      ? PHYSICIAN_ROUTES
      : PATIENT_ROUTES
    : PUBLIC_ROUTES;
  const match = routes.map(([re, view]) => [path.match(re), view]).find(([m]) => m);
  renderNav(path);
  const token = ++renderToken;
  if (!match) {
    ctx.navigate("/");
    return;
  }
  const [m, view] = match;
  main.setAttribute("aria-busy", "true");
  let node;
  try {
    node = await view(...m.slice(1));
  } catch (error) {
    node = errorView(error);
  }
  if (token !== renderToken) return; // a newer navigation won
  main.replaceChildren(node);
  main.removeAttribute("aria-busy");
  performance.mark(`relief:view:${path}`);
  const heading = main.querySelector("h1");
  document.title = heading ? `${heading.textContent} · Relief` : "Relief";
  if (moveFocus) heading?.focus({ preventScroll: false });
  moveFocus = true;
}
let moveFocus = false; // not on the first render: the page just loaded

function errorView(error) {
  if (error?.sessionExpired) return signInView(ctx);
  const offline = error?.network;
  return h(
    "section",
    { class: "stack" },
    h("h1", { tabindex: "-1", text: offline ? "You are offline" : "Something went wrong" }),
    h("p", {
      text: offline
        ? "This screen needs a connection. Check-ins still work offline and are sent later."
        : error?.message || "Please try again.",
    }),
    h("button", { type: "button", class: "button secondary", text: "Try again", onclick: route }),
  );
}

function renderNav(path) {
  const links = ctx.user ? NAV[ctx.user.role] ?? [] : [];
  nav.hidden = links.length === 0;
  nav.replaceChildren(
    ...links.map(([href, text]) => {
      const current =
        href === "/" ? path === "/" || path.startsWith("/patients/") : path.startsWith(href);
      return h("a", { href: `#${href}`, "aria-current": current ? "page" : false, text });
    }),
  );
  signOutButton.hidden = !ctx.user;
}

// --------------------------------------------------------------------------- sync status

function renderSync(s) {
  if (!ctx.user || ctx.user.role !== "patient") {
    syncStatus.replaceChildren();
    return;
  }
  const parts = [];
  if (!navigator.onLine) parts.push("Offline");
  if (s.waiting > 0) parts.push(`${s.waiting} waiting to sync`);
  else if (navigator.onLine && !s.stopped) parts.push("All synced");
  syncStatus.textContent = parts.join(" · ");
  syncStatus.dataset.waiting = String(s.waiting);
  syncStatus.classList.toggle("pending", s.waiting > 0);
  if (s.stopped === "auth") showSessionEnded();
}
sync.onChange(renderSync);
addEventListener("online", () => renderSync(sync.status()));
addEventListener("offline", () => renderSync(sync.status()));

// --------------------------------------------------------------------------- session

async function signedIn(user) {
  sessionEndedShown = false;
  ctx.user = user;
  ctx.notice = null;
  await idb.setMeta("user", user);
  moveFocus = true;
  if (currentPath() === "/") route();
  else ctx.navigate("/");
  if (user.role === "patient") sync.start(user);
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
  await route();
  announce(ctx.notice);
}
api.onSessionExpired(() => {
  sessionEndedShown = false;
  showSessionEnded();
});

async function signOut() {
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
  try {
    await api.signOut();
  } catch (error) {
    if (error?.network) {
      await confirmDialog({
        title: "You are offline",
        message: "Signing out needs a connection, to end your session on the server.",
        buttons: [{ value: "ok", label: "OK", kind: "primary" }],
      });
      return;
    }
  }
  await clearDevice();
  ctx.user = null;
  ctx.notice = "You have signed out.";
  location.hash = "/";
  route();
  announce("You have signed out.");
}

/** Removes everything this app keeps on the device: IndexedDB, caches, web storage. */
async function clearDevice() {
  sync.stop();
  api.forgetAccess();
  await idb.destroy().catch(() => {});
  if (globalThis.caches) {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith("relief-")).map((n) => caches.delete(n)));
  }
  localStorage.clear();
  sessionStorage.clear();
}

signOutButton.addEventListener("click", signOut);

// --------------------------------------------------------------------------- boot

document.querySelector(".skip-link")?.addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});

async function boot() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  }
  const known = await idb.getMeta("user").catch(() => undefined);
  addEventListener("hashchange", route);
  // Offline first: whoever signed in on this device gets their screen at once (no token is
  // needed to check in); the session is confirmed in the background.
  ctx.user = known ?? null;
  await route();
  document.documentElement.dataset.ready = "true";
  performance.mark("relief:ready");
  if (!known) return;
  try {
    const user = await api.refresh();
    ctx.user = user;
    await idb.setMeta("user", user);
  } catch (error) {
    // NetworkError: offline, carry on. SessionExpired: the listener asks to sign in again.
    if (!error?.network && !error?.sessionExpired) throw error;
  }
  if (ctx.user?.role === "patient") sync.start(ctx.user);
}

addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && ctx.user?.role === "patient") sync.flush();
});

boot();
