// Settings: one screen of independent sections, each its own module exporting
// `section(ctx)` (a promise of a <section> with an <h2>), drawn in this order. A section
// that is not for this role returns null.

import { h } from "../dom.js";
import { t } from "../i18n.js";

const SECTIONS = [
  "./settings-display.js",
  "./settings-profile.js",
  "./settings-password.js",
  "./settings-reminders.js",
  "./settings-notifications.js",
  "./settings-careteam.js",
];

export async function settingsView(ctx) {
  const modules = await Promise.all(SECTIONS.map((path) => import(path)));
  const sections = await Promise.all(modules.map((module) => module.section(ctx)));
  return h(
    "section",
    { class: "stack settings" },
    h("h1", { tabindex: "-1", text: t("settings.title") }),
    ...sections.filter(Boolean),
  );
}
