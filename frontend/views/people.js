// A practice's people, for its administrator and staff: the members with their roles and,
// for the administrator, an invitation for a physician, a member of staff or another
// administrator (the code shown as the patient invitation shows it) and the open ones.

import { json } from "../api.js";
import { formatDateTime } from "../dates.js";
import { h, uid } from "../dom.js";
import { invitationForm } from "./invite.js";

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
  const roleId = uid("role");
  return invitationForm({
    path: "/api/v1/practice/invitations/",
    nameLabel: "Name",
    emailLabel: "Email",
    attrs: { "data-practice-invite": "" },
    fields: h(
      "div",
      { class: "field" },
      h("label", { for: roleId, text: "Role" }),
      h(
        "select",
        { id: roleId, name: "role" },
        Object.entries(ROLE_NAMES).map(([value, text]) => h("option", { value, text })),
      ),
    ),
    extraBody: (form) => ({ role: form.elements.role.value }),
    who: (inv) =>
      `${inv.display_name} (${inv.email}) as ${(ROLE_NAMES[inv.role] ?? inv.role).toLowerCase()}`,
    onDone: refresh,
  });
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
