// "Print report" for one visit: the printable report is a server-rendered page opened with a
// one-time link (POST /api/v1/visits/{id}/report-link/, 5 minutes, single use), because a new
// tab cannot send the access token this app keeps in memory.
//
// The tab is opened synchronously in the click handler (so pop-up blockers allow it), then
// pointed at the link once the POST answers; if the POST fails the tab is closed again and
// the error is shown under the button and announced.

import { json } from "../api.js";
import { announce, h, message, uid } from "../dom.js";
import { t } from "../i18n.js";

/** The message for a failed report-link request (pure: unit-tested). */
export function reportErrorText(error) {
  if (error?.network) return t("report.offline");
  if (error?.sessionExpired) return t("report.sessionEnded");
  if (error?.status === 404) return t("report.notFound");
  if (error?.status === 403) return t("report.forbidden");
  if (error?.status === 429) return t("report.tooMany");
  return t("report.failed");
}

/**
 * The absolute URL of the report from the API's answer, or null when it is not a path on
 * this app's own origin (the tab is only ever sent to our own report page).
 */
export function reportUrl(body, origin) {
  const path = body?.url;
  if (typeof path !== "string" || !path.startsWith("/") || path.startsWith("//")) return null;
  let url;
  try {
    url = new URL(path, origin);
  } catch {
    return null;
  }
  return url.origin === origin && url.pathname.startsWith("/reports/") ? url.href : null;
}

function showPlaceholder(tab) {
  // The blank tab is same-origin (about:blank opened from here): a line of text while the
  // link is fetched, set through the DOM (textContent; no markup, script or style).
  try {
    tab.opener = null; // the report page has no business with this window
    tab.document.title = t("report.openingTitle");
    tab.document.body.textContent = t("report.opening");
  } catch {
    // not scriptable: fine, it is replaced in a moment
  }
}

/**
 * The button (and its status line) for `visit`. `name` is the visit's human description,
 * part of the button's accessible name so that several of them on a screen differ.
 */
export function printReportButton(visit, { name }) {
  const hintId = uid("report-hint");
  const status = h("div", { class: "form-status report-status", role: "status" });
  const hint = h("span", { id: hintId, class: "muted report-hint" });
  const button = h("button", {
    type: "button",
    class: "button secondary small",
    "data-report": visit.id,
    "aria-label": t("report.buttonLabel", { name }),
    "aria-describedby": hintId,
    text: t("report.button"),
  });
  let busy = false;

  const showError = (text) => {
    status.replaceChildren(message("error", text));
    announce(text);
  };

  // Offline the button stays focusable (aria-disabled, not disabled): focus is not lost when
  // the network drops, and pressing it explains why nothing opens. While the link is fetched
  // a second press does nothing (`busy`).
  const update = () => {
    const offline = globalThis.navigator?.onLine === false;
    if (offline) button.setAttribute("aria-disabled", "true");
    else button.removeAttribute("aria-disabled");
    if (busy) button.setAttribute("aria-busy", "true");
    else button.removeAttribute("aria-busy");
    hint.textContent = offline ? t("report.needsConnection") : "";
  };

  button.addEventListener("click", async () => {
    if (busy) return;
    status.replaceChildren();
    if (navigator.onLine === false) {
      showError(t("report.needsConnectionRetry"));
      return;
    }
    // Synchronously, inside the click: a tab opened after an await would be blocked.
    const tab = window.open("", "_blank");
    if (!tab) {
      showError(t("report.popupBlocked"));
      return;
    }
    showPlaceholder(tab);
    busy = true;
    update();
    try {
      const body = await json(`/api/v1/visits/${visit.id}/report-link/`, {
        method: "POST",
        body: {},
      });
      const url = reportUrl(body, location.origin);
      if (!url) throw new Error("unexpected report link");
      if (tab.closed) {
        showError(t("report.tabClosed"));
        return;
      }
      tab.location.href = url;
      announce(t("report.opened"));
    } catch (error) {
      try {
        tab.close();
      } catch {
        // already gone
      }
      showError(reportErrorText(error));
    } finally {
      busy = false;
      update();
    }
  });

  // Online/offline: listeners that go away once the button has left the screen (views are
  // built and inserted without yielding to events, so a detached button is a gone one).
  const stop = new AbortController();
  const onChange = () => {
    if (!button.isConnected) {
      stop.abort();
      return;
    }
    update();
  };
  addEventListener("online", onChange, { signal: stop.signal });
  addEventListener("offline", onChange, { signal: stop.signal });
  update();

  return h(
    "div",
    { class: "report-action" },
    h("div", { class: "row-actions" }, button, hint),
    status,
  );
}
