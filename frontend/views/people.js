// A practice's people, for its administrator and staff: the members with their roles and,
// for the administrator, an invitation for a physician, a member of staff or another
// administrator (the code shown as the patient invitation shows it) and the open ones.

import { json } from "../api.js";
import { formatDateTime } from "../dates.js";
import { h, message, uid } from "../dom.js";
import { invitationCard, mailNote } from "./invite.js";

export const ROLE_NAMES = {
  physician: "Physician",
  staff: "Staff",
  practice_admin: "Practice administrator",
};

function membersList(practice) {
  return h(
    "section",
    { class: "card stack", "aria-labelledby": "members-title" },
    h("h2", { id: "members-title", text: `People (${practice.members.length})` }),
    h(
      "ul",
      { class: "members", "data-members": "" },
      practice.members.map((m) =>
        h(
          "li",
          { "data-member": m.id, "data-role": m.role },
          h("strong", { text: m.display_name }),
          ` · ${ROLE_NAMES[m.role] ?? m.role} · `,
          h("span", { class: "muted", text: m.email }),
        ),
      ),
    ),
  );
}

function openInvitations(rows) {
  if (!rows.length) return h("p", { class: "hint", text: "No open invitations." });
  return h(
    "ul",
    { class: "invitations", "data-open-invitations": "" },
    rows.map((inv) =>
      h("li", {
        text:
          `${inv.display_name} (${inv.email}) · ${ROLE_NAMES[inv.role] ?? inv.role} · ` +
          `until ${formatDateTime(inv.expires_at)}`,
      }),
    ),
  );
}

function inviteForm(refresh) {
  const ids = { name: uid("name"), email: uid("email"), role: uid("role") };
  const result = h("div", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { class: "stack", "data-practice-invite": "" },
    h(
      "div",
      { class: "field" },
      h("label", { for: ids.name, text: "Name" }),
      h("input", { id: ids.name, name: "display_name", required: true, autocomplete: "off" }),
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: ids.email, text: "Email" }),
      h("input", { id: ids.email, name: "email", type: "email", required: true, autocomplete: "off" }),
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: ids.role, text: "Role" }),
      h(
        "select",
        { id: ids.role, name: "role" },
        Object.entries(ROLE_NAMES).map(([value, text]) => h("option", { value, text })),
      ),
    ),
    h("button", { type: "submit", class: "button primary wide", text: "Create invitation" }),
    result,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const inv = await json("/api/v1/practice/invitations/", {
        method: "POST",
        body: {
          display_name: form.elements.display_name.value.trim(),
          email: form.elements.email.value.trim(),
          role: form.elements.role.value,
        },
      });
      const role = (ROLE_NAMES[inv.role] ?? inv.role).toLowerCase();
      result.replaceChildren(
        invitationCard(inv, mailNote(inv), `${inv.display_name} (${inv.email}) as ${role}`),
      );
      form.elements.display_name.value = "";
      form.elements.email.value = "";
      refresh();
    } catch (error) {
      const fields = error?.body?.fields;
      result.replaceChildren(
        message(
          "error",
          fields ? Object.values(fields).flat().join(" ") : error?.message || "Could not invite.",
        ),
      );
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

export async function peopleView(ctx) {
  const admin = ctx.user?.role === "practice_admin";
  const [practice, invitations] = await Promise.all([
    json("/api/v1/practice/"),
    admin ? json("/api/v1/practice/invitations/") : null,
  ]);
  const openSlot = h("div", {}, admin ? openInvitations(invitations.results) : null);
  const refresh = async () => {
    try {
      openSlot.replaceChildren(openInvitations((await json("/api/v1/practice/invitations/")).results));
    } catch {
      // the list catches up on the next visit
    }
  };
  return h(
    "section",
    { class: "stack" },
    h("h1", { tabindex: "-1", text: practice.name }),
    admin
      ? h(
          "section",
          { class: "card stack", "aria-labelledby": "invite-title" },
          h("h2", { id: "invite-title", text: "Invite a physician or staff" }),
          h("p", {
            class: "hint",
            text: "They set a password with the code and join the practice in that role.",
          }),
          inviteForm(refresh),
          h("h3", { text: "Open invitations" }),
          openSlot,
        )
      : null,
    membersList(practice),
  );
}
