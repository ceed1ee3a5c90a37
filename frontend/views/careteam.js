// A patient's care team on the physician's patient page: who treats the patient, "Add a
// colleague" (a physician of the practice not on the team) and "Remove" (never the last
// one). Each change is audited with the patient, who sees it under My data.

import { json, request } from "../api.js";
import { announce, h, message, uid } from "../dom.js";
import { t } from "../i18n.js";

/** The physicians of the practice who are not on the team, by name. */
export function colleaguesToAdd(members, team) {
  const onTeam = new Set(team.map((p) => p.id));
  return members
    .filter((m) => m.role === "physician" && !onTeam.has(m.id))
    .sort((a, b) => a.display_name.localeCompare(b.display_name));
}

export function careTeamBox(ctx, patient) {
  const titleId = uid("care-team-title");
  const selectId = uid("care-team-add");
  const list = h("ul", { class: "care-team", "data-care-team": "" });
  const select = h("select", { id: selectId, name: "physician" });
  const add = h("button", { type: "submit", class: "button secondary", text: t("careteam.add") });
  const addForm = h(
    "form",
    { class: "row-actions care-team-add" },
    h("label", { for: selectId, text: t("careteam.addColleague") }),
    select,
    add,
  );
  const status = h("div", { class: "form-status", role: "status" });
  const base = `/api/v1/patients/${patient.id}/care-team/`;
  let members = [];

  function render(team) {
    const alone = team.physicians.length <= 1;
    list.replaceChildren(
      ...team.physicians.map((p) =>
        h(
          "li",
          { "data-physician": p.id },
          h("span", {
            text: p.id === ctx.user?.id ? t("careteam.you", { name: p.display_name }) : p.display_name,
          }),
          alone
            ? null
            : h("button", {
                type: "button",
                class: "button secondary small",
                text: t("careteam.remove"),
                "aria-label": t("careteam.removeLabel", { name: p.display_name }),
                onclick: () => remove(p),
              }),
        ),
      ),
    );
    const choices = colleaguesToAdd(members, team.physicians);
    select.replaceChildren(
      ...choices.map((m) => h("option", { value: m.id, text: m.display_name })),
    );
    addForm.hidden = choices.length === 0;
  }

  async function load() {
    const [team, practice] = await Promise.all([json(base), json("/api/v1/practice/")]);
    members = practice.members;
    render(team);
  }

  function failed(error, what) {
    const fields = error?.body?.fields;
    status.replaceChildren(
      message("error", fields ? Object.values(fields).flat().join(" ") : error?.message || what),
    );
  }

  addForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!select.value) return;
    const name = select.selectedOptions[0]?.textContent;
    add.disabled = true;
    status.replaceChildren();
    try {
      render(await json(base, { method: "POST", body: { physician: select.value } }));
      announce(t("careteam.added", { name }));
      status.replaceChildren(message("success", t("careteam.onTeam", { name })));
    } catch (error) {
      failed(error, t("careteam.addFailed"));
    } finally {
      add.disabled = false;
    }
  });

  async function remove(physician) {
    status.replaceChildren();
    try {
      const { status: code, body } = await request(`${base}${physician.id}/`, { method: "DELETE" });
      if (code !== 204) {
        status.replaceChildren(message("error", body?.detail || t("careteam.removeFailed")));
        return;
      }
    } catch (error) {
      failed(error, t("careteam.removeFailed"));
      return;
    }
    announce(t("careteam.removed", { name: physician.display_name }));
    // Off the team, this physician no longer sees the patient.
    if (physician.id === ctx.user?.id) ctx.navigate("/");
    else await load();
  }

  load().catch(() => status.replaceChildren(message("error", t("careteam.unavailable"))));
  return h(
    "section",
    { class: "card stack", "aria-labelledby": titleId, "data-care-team-box": "" },
    h("h2", { id: titleId, text: t("careteam.title") }),
    h("p", {
      class: "hint",
      text: t("careteam.hint"),
    }),
    list,
    addForm,
    status,
  );
}
