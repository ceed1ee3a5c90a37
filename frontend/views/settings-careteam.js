// Settings: "Your care team" (patients only): the physicians who see your check-ins and
// their practice. A change to it also shows under My data.

import { json } from "../api.js";
import { h, uid } from "../dom.js";
import { t } from "../i18n.js";

export async function section(ctx) {
  if (ctx.user?.role !== "patient") return null;
  const titleId = uid("care-team-title");
  let team;
  try {
    team = await json("/api/v1/me/care-team/");
  } catch {
    return null; // offline: the rest of Settings still works
  }
  return h(
    "section",
    { class: "card stack settings-careteam", "aria-labelledby": titleId },
    h("h2", { id: titleId, text: t("settings.careTeam.title") }),
    team.physicians.length
      ? [
          h("p", {
            text: team.practice
              ? t("settings.careTeam.atPractice", { practice: team.practice })
              : t("settings.careTeam.physicians"),
          }),
          h(
            "ul",
            { "data-my-care-team": "" },
            team.physicians.map((p) => h("li", { text: p.display_name })),
          ),
        ]
      : h("p", { text: t("settings.careTeam.none") }),
  );
}
