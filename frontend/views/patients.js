// The physician's patients, those needing attention first (server ordering), searchable.
// From 1024 px wide a table: sortable by each column (server ordering), filterable to open
// flags and by condition, and usable from the keyboard (arrows or j/k, Enter, Escape back
// on the patient page).

import { json, qs } from "../api.js";
import { formatDate, formatDateTime } from "../dates.js";
import { h, uid } from "../dom.js";
import { CONDITIONS, FLAG_TITLES, label, openFlags, reliefLabel, responderLabel } from "../format.js";
import { formatNumber, t } from "../i18n.js";

export const DESK = "(min-width: 1024px)";

// Worst first, as the server's attention order weighs them (recovery.reports.FLAG_WEIGHT).
export const FLAG_ORDER = [
  "soreness_severe",
  "worse_than_baseline",
  "large_bruise",
  "soreness_rising",
  "no_response",
  "not_logging",
];

/** "2 · Severe soreness": how many flags are open and the worst one; "" for none. */
export function flagsCell(row) {
  const open = openFlags(row.flags);
  if (!open.length) return "";
  const rank = (f) => {
    const i = FLAG_ORDER.indexOf(f.code);
    return i === -1 ? FLAG_ORDER.length : i;
  };
  const worst = [...open].sort((a, b) => rank(a) - rank(b))[0];
  return t("desk.flagsCell", { count: open.length, flag: label(FLAG_TITLES, worst.code) });
}

/** What the count line adds when the list holds only the first page of the patients. */
export function firstPageNote(page) {
  const n = page.count ?? page.results.length;
  // A remark in brackets after the count line's sentence, with its own leading space.
  return n > page.results.length ? ` ${t("desk.firstPage", { count: page.results.length })}` : "";
}

// The name search of both lists: `onSearch(text)` once typing pauses for 250 ms.
function searchInput(id, onSearch) {
  let timer = null;
  return h("input", {
    id,
    type: "search",
    name: "search",
    autocomplete: "off",
    oninput: (event) => {
      clearTimeout(timer);
      timer = setTimeout(() => onSearch(event.target.value.trim()), 250);
    },
  });
}

// The patient whose row the physician left from: focus goes back to it on return.
let cameFrom = null;
export function rememberRow(id) {
  cameFrom = id;
}

function patientRow(p) {
  const latest = p.latest ?? null;
  const responder = responderLabel(latest);
  // Acknowledged and resolved flags are on the patient's page; the list shows open ones.
  const flags = openFlags(p.flags);
  return h(
    "li",
    { class: `patient card${flags.length ? " flagged" : ""}`, "data-patient": p.id },
    h(
      "h2",
      { class: "patient-name" },
      h("a", { href: `#/patients/${p.id}`, text: p.display_name || p.email }),
    ),
    h(
      "p",
      { class: "patient-meta" },
      latest
        ? t("desk.visitDay", {
            date: formatDate(latest.visit_date, { style: "short" }),
            day: latest.days_since_visit,
          })
        : t("desk.visitCount", { count: p.visit_count ?? 0 }),
      " · ",
      p.last_checkin_at
        ? t("desk.lastCheckin", { when: formatDateTime(p.last_checkin_at, p.timezone) })
        : t("desk.noCheckinsLower"),
    ),
    h(
      "p",
      { class: "patient-relief" },
      h("span", { text: reliefLabel(latest) }),
      h("span", { class: `badge ${responder.tone}`, text: responder.text }),
    ),
    flags.length
      ? h(
          "ul",
          {
            class: "flags",
            "aria-label": t("desk.openFlagsLabel", { count: flags.length }),
          },
          flags.map((f) =>
            h("li", { class: "flag", "data-flag": f.code }, h("span", { text: f.message })),
          ),
        )
      : null,
  );
}

// The desk table's columns: the server's ordering name and the header's message key.
const COLUMNS = [
  ["name", "desk.column.name"],
  ["days_since_visit", "desk.column.daysSinceVisit"],
  ["last_checkin", "desk.column.lastCheckin"],
  ["latest_relief", "desk.column.latestRelief"],
  ["responder", "desk.column.responder"],
  ["open_flags", "desk.column.openFlags"],
];

function deskRow(p, { onOpen }) {
  const latest = p.latest ?? null;
  const responder = responderLabel(latest);
  const flags = flagsCell(p);
  const name = p.display_name || p.email;
  const cell = (column, content) => h("td", { "data-column": column }, content);
  return h(
    "tr",
    {
      class: flags ? "flagged" : null,
      tabindex: "-1",
      "data-patient": p.id,
      "aria-label": name,
      onclick: (event) => {
        if (!event.target.closest("a")) onOpen(p.id);
      },
    },
    h(
      "th",
      { scope: "row", "data-column": "name" },
      // One tab stop for the whole table (the rows rove): the link is for the mouse.
      h("a", { href: `#/patients/${p.id}`, tabindex: "-1", text: name, onclick: () => rememberRow(p.id) }),
    ),
    cell("days_since_visit", latest ? formatNumber(latest.days_since_visit) : "—"),
    cell(
      "last_checkin",
      p.last_checkin_at ? formatDateTime(p.last_checkin_at, p.timezone) : t("desk.noCheckins"),
    ),
    cell("latest_relief", reliefLabel(latest)),
    cell("responder", h("span", { class: `badge ${responder.tone}`, text: responder.text })),
    cell("open_flags", flags ? h("span", { class: "flag-count", text: flags }) : t("desk.noFlags")),
  );
}

/**
 * Keyboard use of the table's rows (roving tabindex): ArrowDown/j and ArrowUp/k move,
 * Home/End jump, Enter opens the patient. Exactly one row is in the tab order.
 */
export function roveRows(tbody, { onOpen }) {
  const rows = () => [...tbody.querySelectorAll("tr[data-patient]")];
  const activate = (row, focus = true) => {
    for (const other of rows()) other.setAttribute("tabindex", other === row ? "0" : "-1");
    if (focus) row.focus();
  };
  tbody.addEventListener("keydown", (event) => {
    const row = event.target.closest?.("tr[data-patient]");
    if (!row || event.altKey || event.ctrlKey || event.metaKey) return;
    const all = rows();
    const at = all.indexOf(row);
    const go = {
      ArrowDown: at + 1,
      j: at + 1,
      ArrowUp: at - 1,
      k: at - 1,
      Home: 0,
      End: all.length - 1,
    }[event.key];
    if (go !== undefined) {
      event.preventDefault();
      activate(all[Math.max(0, Math.min(all.length - 1, go))]);
    } else if (event.key === "Enter") {
      event.preventDefault();
      onOpen(row.dataset.patient);
    }
  });
  tbody.addEventListener("focusin", (event) => {
    const row = event.target.closest?.("tr[data-patient]");
    if (row) activate(row, false);
  });
  const first = rows().find((r) => r.dataset.patient === cameFrom) ?? rows()[0];
  if (first) activate(first, false);
  return first;
}

function deskTable(results, { ordering, onSort, onOpen }) {
  const current = ordering.replace(/^-/, "");
  const descending = ordering.startsWith("-");
  const header = COLUMNS.map(([key, textKey]) => {
    const sorted = key === current;
    const next = sorted && !descending ? `-${key}` : key;
    return h(
      "th",
      {
        scope: "col",
        "aria-sort": sorted ? (descending ? "descending" : "ascending") : null,
        "data-column": key,
      },
      h(
        "button",
        {
          type: "button",
          class: "sort",
          "data-sort": key,
          onclick: () => onSort(next),
        },
        t(textKey),
        h("span", { class: "sort-mark", "aria-hidden": "true", text: sorted ? (descending ? " ▼" : " ▲") : "" }),
      ),
    );
  });
  const tbody = h("tbody", {}, results.map((p) => deskRow(p, { onOpen })));
  const table = h(
    "table",
    { class: "patients-table", "aria-describedby": "patients-keys" },
    h("thead", {}, h("tr", {}, header)),
    tbody,
  );
  const returnTo = roveRows(tbody, { onOpen });
  if (returnTo && returnTo.dataset.patient === cameFrom) returnTo.setAttribute("data-return-focus", "");
  return table;
}

export async function patientsView() {
  const desk = globalThis.matchMedia?.(DESK);
  return desk?.matches ? deskView(desk) : phoneView(desk);
}

// Re-render when the window crosses 1024 px (a rotated tablet, a resized window).
function onWidthChange(desk, section) {
  if (!desk?.addEventListener) return;
  const changed = async () => {
    desk.removeEventListener("change", changed);
    if (!section.isConnected) return;
    section.replaceWith(await patientsView());
  };
  desk.addEventListener("change", changed);
}

const conditionOptions = () => [
  h("option", { value: "", text: t("desk.anyCondition") }),
  ...Object.keys(CONDITIONS).map((value) => h("option", { value, text: label(CONDITIONS, value) })),
];

async function deskView(desk) {
  const searchId = uid("search");
  const conditionId = uid("condition");
  const flaggedId = uid("flagged");
  const slot = h("div", { class: "patients-slot" });
  const count = h("p", { class: "muted", role: "status" });
  const state = { ordering: "attention", search: "", condition: "", openFlags: false };
  let seq = 0;
  const open = (id) => {
    rememberRow(id);
    location.hash = `#/patients/${id}`;
  };

  async function load({ focusHeader = null } = {}) {
    const mine = ++seq;
    const page = await json(
      `/api/v1/patients/${qs({
        ordering: state.ordering,
        search: state.search,
        condition: state.condition || undefined,
        open_flags: state.openFlags ? "true" : undefined,
        page_size: 100,
      })}`,
    );
    if (mine !== seq) return;
    const n = page.count ?? page.results.length;
    const filtered = state.search || state.condition || state.openFlags;
    const attention = state.ordering === "attention";
    const countKey = filtered
      ? attention
        ? "desk.countShownAttention"
        : "desk.countShown"
      : attention
        ? "desk.countAttention"
        : "desk.count";
    count.textContent = t(countKey, { count: n }) + firstPageNote(page);
    slot.replaceChildren(
      page.results.length
        ? deskTable(page.results, {
            ordering: state.ordering,
            onOpen: open,
            onSort: (ordering) => {
              state.ordering = ordering;
              load({ focusHeader: ordering.replace(/^-/, "") }).catch(() => {});
            },
          })
        : h("p", { text: filtered ? t("desk.noMatch") : t("desk.noPatients") }),
    );
    if (focusHeader) slot.querySelector(`button[data-sort="${focusHeader}"]`)?.focus();
  }

  const search = searchInput(searchId, (text) => {
    state.search = text;
    load().catch(() => {});
  });
  const condition = h(
    "select",
    {
      id: conditionId,
      name: "condition",
      onchange: (event) => {
        state.condition = event.target.value;
        load().catch(() => {});
      },
    },
    conditionOptions(),
  );
  const flagged = h("input", {
    id: flaggedId,
    type: "checkbox",
    name: "open_flags",
    onchange: (event) => {
      state.openFlags = event.target.checked;
      load().catch(() => {});
    },
  });
  await load();
  const section = h(
    "section",
    { class: "stack desk", "data-layout": "desk" },
    h("h1", { tabindex: "-1", text: t("desk.title") }),
    h(
      "form",
      { class: "desk-filters", role: "search", onsubmit: (e) => e.preventDefault() },
      h(
        "div",
        { class: "field search" },
        h("label", { for: searchId, text: t("desk.search") }),
        search,
      ),
      h(
        "div",
        { class: "field" },
        h("label", { for: conditionId, text: t("desk.condition") }),
        condition,
      ),
      h(
        "div",
        { class: "field checkbox" },
        flagged,
        h("label", { for: flaggedId, text: t("desk.openFlagsOnly") }),
      ),
    ),
    count,
    h("p", {
      id: "patients-keys",
      class: "hint",
      text: t("desk.keysHint"),
    }),
    slot,
  );
  onWidthChange(desk, section);
  return section;
}

async function phoneView(desk) {
  const searchId = uid("search");
  const list = h("div", { class: "patients-slot" });
  const count = h("p", { class: "muted", role: "status" });
  let seq = 0;

  async function load(search) {
    const mine = ++seq;
    const page = await json(
      `/api/v1/patients/${qs({ ordering: "attention", search, page_size: 100 })}`,
    );
    if (mine !== seq) return;
    const n = page.count ?? page.results.length;
    count.textContent =
      (search ? t("desk.countMatching", { count: n, search }) : t("desk.countAttention", { count: n })) +
      firstPageNote(page);
    list.replaceChildren(
      page.results.length
        ? h("ul", { class: "patients" }, page.results.map(patientRow))
        : h("p", { text: search ? t("desk.noName") : t("desk.noPatients") }),
    );
  }

  const input = searchInput(searchId, (text) => load(text).catch(() => {}));
  await load("");
  const section = h(
    "section",
    { class: "stack" },
    h("h1", { tabindex: "-1", text: t("desk.title") }),
    h(
      "form",
      { class: "field search", role: "search", onsubmit: (e) => e.preventDefault() },
      h("label", { for: searchId, text: t("desk.search") }),
      input,
    ),
    count,
    h("p", {
      class: "hint",
      text: t("desk.thresholds"),
    }),
    list,
  );
  onWidthChange(desk, section);
  return section;
}
