// A list of check-ins (patient: with edit and delete; physician: read-only with notes).

import { formatDateTime } from "../dates.js";
import { h } from "../dom.js";
import { BRUISING, label } from "../format.js";
import { t } from "../i18n.js";

/**
 * "Pain 3 · soreness 2 · bruising none · ice": one line about a check-in. What was done
 * (ice, heat, strenuous activity) is one phrase per combination, so each language words
 * its own list.
 */
export function facts(entry) {
  const done = [
    entry.iced ? "ice" : null,
    entry.heated ? "heat" : null,
    entry.strenuous_activity ? "strenuous" : null,
  ].filter(Boolean);
  const params = {
    pain: entry.pain,
    soreness: entry.soreness,
    bruising: label(BRUISING, entry.bruising).toLocaleLowerCase(),
  };
  return done.length
    ? t("entries.factsDone", { ...params, done: t(`entries.done.${done.join("_")}`) })
    : t("entries.facts", params);
}

/**
 * entries: API entries; waiting: outbox items (shown first, marked). actions(entry) returns
 * extra nodes (edit/delete buttons) or null.
 */
export function entryList({ entries, waiting = [], timeZone, actions = null, empty }) {
  const rows = [
    ...waiting.map((item) =>
      h(
        "li",
        { class: "entry waiting", "data-entry": item.id },
        h(
          "p",
          { class: "entry-when" },
          formatDateTime(item.entry.felt_at, timeZone),
          item.refused
            ? h("span", { class: "badge warn", text: t("entries.notAccepted") })
            : h("span", { class: "badge pending", text: t("entries.waiting") }),
        ),
        h("p", { text: facts(item.entry) }),
        item.entry.notes ? h("p", { class: "entry-notes", text: item.entry.notes }) : null,
      ),
    ),
    ...entries.map((entry) =>
      h(
        "li",
        { class: "entry", "data-entry": entry.id },
        h(
          "p",
          { class: "entry-when" },
          formatDateTime(entry.felt_at, timeZone),
          entry.day !== null && entry.day !== undefined
            ? h("span", { class: "badge", text: t("entries.day", { day: entry.day }) })
            : null,
        ),
        h("p", { text: facts(entry) }),
        entry.notes ? h("p", { class: "entry-notes", text: entry.notes }) : null,
        actions ? actions(entry) : null,
      ),
    ),
  ];
  if (!rows.length) return h("p", { class: "muted", text: empty });
  return h("ul", { class: "entries" }, rows);
}
