// A practice's people, for its administrator and staff: the members with their roles and,
// for the administrator, an invitation for a physician, a member of staff or another
// administrator (the code shown as the patient invitation shows it) and the open ones.

import { json } from "../api.js";
import { formatDateTime } from "../dates.js";
import { breakable, h, uid } from "../dom.js";
import { t } from "../i18n.js";
import { invitationForm } from "./invite.js";

// Each member role (the API's enum) and its message key.
export const ROLE_KEYS = {
  physician: "people.role.physician",
  staff: "people.role.staff",
  practice_admin: "people.role.practiceAdmin",
};

// Whom an invitation is for, by role (the invitation card's words).
const INVITED_AS = {
  physician: "people.invitedAs.physician",
  staff: "people.invitedAs.staff",
  practice_admin: "people.invitedAs.practiceAdmin",
};

/** A role in words ("Physician"), the code itself for a role this app does not know. */
export function roleName(role) {
  return ROLE_KEYS[role] ? t(ROLE_KEYS[role]) : role;
}

function membersList(practice) {
  return h(
    "section",
    { class: "card stack", "aria-labelledby": "members-title" },
    h("h2", { id: "members-title", text: t("people.title", { count: practice.members.length }) }),
    h(
      "ul",
      { class: "members", "data-members": "" },
      practice.members.map((m) =>
        h(
          "li",
          { "data-member": m.id, "data-role": m.role },
          h("strong", { text: m.display_name }),
          ` · ${roleName(m.role)} · `,
          h("span", { class: "muted" }, breakable(m.email)),
        ),
      ),
    ),
  );
}

function openInvitations(rows) {
  if (!rows.length) return h("p", { class: "hint", text: t("people.noOpenInvitations") });
  return h(
    "ul",
    { class: "invitations", "data-open-invitations": "" },
    rows.map((inv) =>
      h("li", {
        text: t("people.openInvitation", {
          name: inv.display_name,
          email: inv.email,
          role: roleName(inv.role),
          when: formatDateTime(inv.expires_at),
        }),
      }),
    ),
  );
}

function inviteForm(refresh) {
  const roleId = uid("role");
  return invitationForm({
    path: "/api/v1/practice/invitations/",
    nameLabel: t("people.name"),
    emailLabel: t("people.email"),
    attrs: { "data-practice-invite": "" },
    fields: h(
      "div",
      { class: "field" },
      h("label", { for: roleId, text: t("people.role") }),
      h(
        "select",
        { id: roleId, name: "role" },
        Object.keys(ROLE_KEYS).map((value) => h("option", { value, text: roleName(value) })),
      ),
    ),
    extraBody: (form) => ({ role: form.elements.role.value }),
    who: (inv) =>
      INVITED_AS[inv.role]
        ? t(INVITED_AS[inv.role], { name: inv.display_name, email: inv.email })
        : t("invite.who", { name: inv.display_name, email: inv.email }),
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
          h("h2", { id: "invite-title", text: t("people.inviteTitle") }),
          h("p", {
            class: "hint",
            text: t("people.inviteHint"),
          }),
          inviteForm(refresh),
          h("h3", { text: t("people.openInvitations") }),
          openSlot,
        )
      : null,
    membersList(practice),
  );
}
