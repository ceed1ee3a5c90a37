// Relief's web app: boot, layout and routing. One concern per module:
// session.js (sign-in/out, start-up), api.js (HTTP + tokens), idb.js (IndexedDB),
// outbox.js/sync.js (offline check-ins), charts.js (plotly, loaded lazily), views/* (screens).
//
// What a patient's phone needs to draw today's check-in is all this module imports: the
// check-in view, its form and dom.js (plus device.js, a localStorage read, and i18n.js with
// the language's catalog, which prefs.js has already asked for). Everything else, the
// session included, is imported once that form is on the screen.

import { signedInRole } from "./device.js";
import { h } from "./dom.js";
import { onLanguageChange, t } from "./i18n.js";
import { ready as languageReady } from "./prefs.js";
import { checkinView } from "./views/checkin.js";

// Screens other than the check-in load when opened (and, when someone is signed in, once
// their profile is known: a patient may tap "My recovery" before start-up has read it).
const lazy =
  (path, name) =>
  async (...args) => {
    const [module] = await Promise.all([import(path), ctx.user ? ctx.whenProfile() : null]);
    return module[name](ctx, ...args);
  };
const signInView = lazy("./views/signin.js", "signInView");
const acceptView = lazy("./views/signin.js", "acceptView");
const resetView = lazy("./views/reset.js", "resetView");
const recoveryView = lazy("./views/recovery.js", "recoveryView");
const editView = lazy("./views/recovery.js", "editView");
const patientsView = lazy("./views/patients.js", "patientsView");
const patientView = lazy("./views/patient.js", "patientView");
const practiceView = lazy("./views/practice.js", "practiceView");
const inviteView = lazy("./views/invite.js", "inviteView");
const settingsView = lazy("./views/settings.js", "settingsView");
const myDataView = lazy("./views/mydata.js", "myDataView");
const peopleView = lazy("./views/people.js", "peopleView");

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const signOutButton = document.getElementById("sign-out");

// session.js and the modules it imports, requested together rather than one import level
// (one round trip on a first visit) at a time.
const SESSION_GRAPH = ["./session.js", "./api.js", "./idb.js", "./sync.js", "./outbox.js", "./dates.js"];
let session = null; // the session.js module, once loaded
const loadSession = () => {
  session ??= Promise.all(SESSION_GRAPH.map((path) => import(path))).then(([module]) => module);
  return session;
};

let profileRead; // resolves the stored profile once start-up has read it
const storedProfile = new Promise((resolve) => {
  profileRead = resolve;
});

const ctx = {
  // The signed-in user's profile; on a patient's phone, {role: "patient"} alone until the
  // profile has been read from IndexedDB.
  user: null,
  /** The signed-in user's full profile, once known (null: nobody is signed in after all). */
  whenProfile: () => (ctx.user?.id ? Promise.resolve(ctx.user) : storedProfile),
  notice: null, // a message for the next sign-in screen
  navigate: (path) => {
    if (location.hash === `#${path}`) route();
    else location.hash = path;
  },
  route: () => route(),
  currentPath: () => currentPath(),
  focusNext: () => {
    moveFocus = true;
  },
  signedIn: async (user) => (await loadSession()).signedIn(user),
};

// --------------------------------------------------------------------------- routes

const PATIENT_ROUTES = [
  [/^\/$/, () => checkinView(ctx)],
  [/^\/recovery$/, () => recoveryView()],
  [/^\/edit\/([0-9a-f-]{36})$/, (id) => editView(id)],
  [/^\/my-data$/, () => myDataView()],
  [/^\/settings$/, () => settingsView()],
  // A reset link opened on a phone that is signed in still works (it ends every session).
  [/^\/reset$/, () => resetView()],
];
const PHYSICIAN_ROUTES = [
  [/^\/$/, () => patientsView()],
  [/^\/patients\/([0-9a-f-]{36})$/, (id) => patientView(id)],
  [/^\/practice$/, () => practiceView()],
  [/^\/invite$/, () => inviteView()],
  [/^\/settings$/, () => settingsView()],
  [/^\/reset$/, () => resetView()],
];
// A practice's administrator and staff: its people, and their own settings (no patients).
const PRACTICE_ROUTES = [
  [/^\/$/, () => peopleView()],
  [/^\/settings$/, () => settingsView()],
  [/^\/reset$/, () => resetView()],
];
const PUBLIC_ROUTES = [
  [/^\/accept$/, () => acceptView()],
  [/^\/reset$/, () => resetView()],
  [/^.*$/, () => signInView()],
];
// The tabs: [path, catalog key of the label].
const NAV = {
  patient: [
    ["/", "nav.checkin"],
    ["/recovery", "nav.recovery"],
    ["/my-data", "nav.myData"],
    ["/settings", "nav.settings"],
  ],
  physician: [
    ["/", "nav.patients"],
    ["/practice", "nav.practice"],
    ["/invite", "nav.invite"],
    ["/settings", "nav.settings"],
  ],
  practice_admin: [
    ["/", "nav.practice"],
    ["/settings", "nav.settings"],
  ],
  staff: [
    ["/", "nav.practice"],
    ["/settings", "nav.settings"],
  ],
};
const ROUTES_BY_ROLE = {
  physician: PHYSICIAN_ROUTES,
  practice_admin: PRACTICE_ROUTES,
  staff: PRACTICE_ROUTES,
};

function currentPath() {
  const hash = location.hash.replace(/^#/, "");
  return hash.startsWith("/") ? hash.split("?")[0] : "/";
}

let renderToken = 0;

async function route() {
  const path = currentPath();
  const routes = ctx.user ? ROUTES_BY_ROLE[ctx.user.role] ?? PATIENT_ROUTES : PUBLIC_ROUTES;
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
    node = await errorView(error);
  }
  if (token !== renderToken) return; // a newer navigation won
  main.replaceChildren(node);
  main.removeAttribute("aria-busy");
  performance.mark(`relief:view:${path}`);
  const heading = main.querySelector("h1");
  document.title = heading ? t("app.title", { heading: heading.textContent }) : t("app.name");
  // A view may ask for focus elsewhere: the patients table's row one came back from.
  if (moveFocus) (main.querySelector("[data-return-focus]") ?? heading)?.focus({ preventScroll: false });
  moveFocus = true;
}
let moveFocus = false; // not on the first render: the page just loaded

function errorView(error) {
  if (error?.sessionExpired) return signInView();
  const offline = error?.network;
  return h(
    "section",
    { class: "stack" },
    h("h1", { tabindex: "-1", text: offline ? t("error.offlineTitle") : t("error.title") }),
    h("p", { text: offline ? t("error.offlineText") : error?.message || t("error.tryAgainText") }),
    h("button", { type: "button", class: "button secondary", text: t("error.tryAgain"), onclick: route }),
  );
}

function renderNav(path) {
  const links = ctx.user ? NAV[ctx.user.role] ?? [] : [];
  nav.hidden = links.length === 0;
  nav.replaceChildren(
    ...links.map(([href, key]) => {
      const current =
        href === "/" ? path === "/" || path.startsWith("/patients/") : path.startsWith(href);
      return h("a", { href: `#${href}`, "aria-current": current ? "page" : false, text: t(key) });
    }),
  );
  signOutButton.hidden = !ctx.user;
}

// --------------------------------------------------------------------------- boot

signOutButton.addEventListener("click", async () => {
  await storedProfile; // the session module has been set up
  (await loadSession()).signOut();
});

document.querySelector(".skip-link")?.addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});

/** index.html's own words: elements with data-i18n (text) or data-i18n-<attribute>. */
function translateShell() {
  for (const el of document.querySelectorAll("*")) {
    for (const { name, value } of [...el.attributes]) {
      if (name === "data-i18n") el.textContent = t(value);
      else if (name.startsWith("data-i18n-")) el.setAttribute(name.slice("data-i18n-".length), t(value));
    }
  }
}

// Another language chosen (Settings, the sign-in page, or the profile read from the
// server): the shell, the tabs and the current screen are drawn again at once, in it.
// Focus stays on the control that changed it (data-keep-focus), else goes to the heading.
async function languageChanged() {
  translateShell();
  const keep = document.activeElement?.getAttribute?.("data-keep-focus");
  moveFocus = !keep;
  await route();
  if (keep) main.querySelector(`[data-keep-focus="${keep}"]`)?.focus();
}

function ready() {
  document.documentElement.dataset.ready = "true";
  performance.mark("relief:ready");
}

async function boot() {
  addEventListener("hashchange", route);
  await languageReady; // asked for by prefs.js before this module's imports had arrived
  translateShell();
  onLanguageChange(languageChanged);
  // Offline first. A patient's phone draws the check-in form straight away: it needs no
  // profile, no token and no network (a check-in goes into the outbox first). The session
  // module, the stored profile and the server's word on the session follow.
  const fastPath = signedInRole() === "patient" && currentPath() === "/";
  if (fastPath) {
    ctx.user = { role: "patient" };
    await route();
    ready();
  }
  // Registered (or checked for an update) after a patient's check-in form is drawn: the
  // worker only matters for later visits, and this one's first screen should not wait on it.
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  }
  const { restore, resume } = await loadSession();
  const known = await restore(ctx);
  profileRead(known);
  const stale = fastPath && known?.role !== "patient";
  ctx.user = known;
  if (!fastPath || stale) {
    await route();
    ready();
  }
  if (known) await resume();
}

addEventListener("visibilitychange", async () => {
  if (document.visibilityState === "visible" && ctx.user?.role === "patient") {
    (await import("./sync.js")).flush();
  }
});

boot();
