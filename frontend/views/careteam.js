// A patient's care team on the physician's patient page: who treats the patient, "Add a
// colleague" (a physician of the practice not on the team) and "Remove" (never the last
// one). Each change is audited with the patient, who sees it under My data.

import { json, request } from "../api.js";
import { announce, h, message, uid } from "../dom.js";

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
  const add = h("button", { type: "submit", class: "button secondary", text: "Add to care team" });
  const addForm = h(
    "form",
    { class: "row-actions care-team-add" },
    h("label", { for: selectId, text: "Add a colleague" }),
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
          h("span", { text: p.id === ctx.user?.id ? `${p.display_name} (you)` : p.display_name }),
          alone
            ? null
            : h("button", {
                type: "button",
                class: "button secondary small",
                text: "Remove",
                "aria-label": `Remove ${p.display_name} from the care team`,
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
      announce(`${name} added to the care team.`);
      status.replaceChildren(message("success", `${name} is on the care team.`));
    } catch (error) {
      failed(error, "The colleague could not be added.");
    } finally {
      add.disabled = false;
    }
  });

  async function remove(physician) {
    status.replaceChildren();
    try {
      const { status: code, body } = await request(`${base}${physician.id}/`, { method: "DELETE" });
      if (code !== 204) {
        status.replaceChildren(message("error", body?.detail || "Could not remove."));
        return;
      }
    } catch (error) {
      failed(error, "Could not remove.");
      return;
    }
    announce(`${physician.display_name} removed from the care team.`);
    // Off the team, this physician no longer sees the patient.
    if (physician.id === ctx.user?.id) ctx.navigate("/");
    else await load();
  }

  load().catch(() => status.replaceChildren(message("error", "Care team unavailable.")));
  return h(
    "section",
    { class: "card stack", "aria-labelledby": titleId, "data-care-team-box": "" },
    h("h2", { id: titleId, text: "Care team" }),
    h("p", {
      class: "hint",
      text: "Physicians of your practice who see this patient. Add a colleague to cover for you.",
    }),
    list,
    addForm,
    status,
  );
}
