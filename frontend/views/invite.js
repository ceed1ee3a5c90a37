// Invite a patient: the one-time code (and a link) to hand over.

import { json } from "../api.js";
import { formatDateTime } from "../dates.js";
import { h, message, uid } from "../dom.js";
import { LANGUAGES, language, t, tParts } from "../i18n.js";

// What became of the invitation mail (the task worker sends it after the invitation is
// saved; a mail server that is down never loses the code, which is on screen either way).
export function mailNote(inv) {
  if (inv.mail_status === "pending") {
    return message("pending", t("invite.mailSending", { email: inv.email }), { "data-mail": "pending" });
  }
  if (inv.mail_status === "sent") {
    return message("success", t("invite.mailSent", { email: inv.email }), { "data-mail": "sent" });
  }
  const text = inv.mail_next_attempt_at
    ? t("invite.mailNotSentRetry", { when: formatDateTime(inv.mail_next_attempt_at) })
    : t("invite.mailNotSent");
  return message("pending", text, { "data-mail": inv.mail_status || "unknown" });
}

// Follow a just-created invitation's mail until the worker has tried it (up to a minute),
// reading it back from `listPath` (the list its kind of invitation is in).
async function followMail(inv, note, listPath) {
  const deadline = Date.now() + 60000;
  let current = note;
  while (Date.now() < deadline && current.isConnected) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    let listed;
    try {
      listed = (await json(listPath)).results.find((row) => row.id === inv.id);
    } catch {
      continue; // offline for a moment: try again
    }
    if (!listed || listed.mail_status === "pending") continue;
    const next = mailNote({ ...inv, ...listed });
    current.replaceWith(next);
    return;
  }
}

// Copy text to the clipboard and say so next to the button (a page served over plain
// http, or a refusal, has no clipboard: then the text stays on screen to read out).
async function copyText(text, status) {
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = t("invite.copied");
  } catch {
    status.textContent = t("invite.copyFailed");
  }
}

// The code in big monospace groups (read out over the phone), copy buttons, the sign-up
// link and its QR code (an SVG data: URI drawn by the server, shown as an image). Also the
// practice administrator's invitations of physicians and staff (views/people.js): `who`
// says whom the invitation is for.
export function invitationCard(
  inv,
  note,
  who = t("invite.who", { name: inv.display_name, email: inv.email }),
) {
  const link = inv.accept_url;
  const copied = h("span", { class: "hint", role: "status", "data-copied": "" });
  return h(
    "div",
    { class: "card invitation stack" },
    h("p", { text: t("invite.for", { who }) }),
    h("p", { class: "invitation-label", text: t("invite.code") }),
    // The code as the patient types it (groups joined by dashes), large and monospaced.
    h("p", { class: "code invitation-code", "data-code": "", text: inv.code }),
    h(
      "div",
      { class: "button-row" },
      h("button", {
        type: "button",
        class: "button",
        "data-copy": "code",
        text: t("invite.copyCode"),
        onclick: () => copyText(inv.code, copied),
      }),
      h("button", {
        type: "button",
        class: "button",
        "data-copy": "link",
        text: t("invite.copyLink"),
        onclick: () => copyText(link, copied),
      }),
      copied,
    ),
    h(
      "p",
      { class: "hint invitation-link" },
      tParts("invite.signupLink", { link: h("a", { href: link, "data-link": "", text: link }) }),
    ),
    inv.qr_svg
      ? h(
          "figure",
          { class: "invitation-qr" },
          h("img", {
            src: inv.qr_svg,
            alt: t("invite.qrAlt"),
            width: "192",
            height: "192",
            "data-qr": "",
          }),
          h("figcaption", { class: "hint", text: t("invite.qrHint") }),
        )
      : null,
    h("p", {
      class: "hint",
      text: t("invite.validUntil", { when: formatDateTime(inv.expires_at) }),
    }),
    note,
  );
}

/**
 * The form that creates an invitation and shows it (`invitationCard`) with its mail's
 * progress: a patient's (inviteView) or a practice member's (views/people.js).
 * `fields` are extra form controls, `extraBody(form)` what they add to the request,
 * `who(inv)` the card's words for whom it is, `onDone` runs after each new invitation.
 */
export function invitationForm({
  path,
  nameLabel,
  emailLabel,
  fields = [],
  extraBody = () => ({}),
  who,
  onDone = () => {},
  attrs = {},
}) {
  const nameId = uid("name");
  const emailId = uid("email");
  const result = h("div", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { class: "stack", ...attrs },
    h(
      "div",
      { class: "field" },
      h("label", { for: nameId, text: nameLabel }),
      h("input", { id: nameId, name: "display_name", required: true, autocomplete: "off" }),
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: emailId, text: emailLabel }),
      h("input", { id: emailId, name: "email", type: "email", required: true, autocomplete: "off" }),
    ),
    fields,
    h("button", { type: "submit", class: "button primary wide", text: t("invite.create") }),
    result,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const inv = await json(path, {
        method: "POST",
        body: {
          display_name: form.elements.display_name.value.trim(),
          email: form.elements.email.value.trim(),
          ...extraBody(form),
        },
      });
      const note = mailNote(inv);
      result.replaceChildren(invitationCard(inv, note, who?.(inv)));
      if (inv.mail_status === "pending") followMail(inv, note, path);
      form.elements.display_name.value = "";
      form.elements.email.value = "";
      onDone();
    } catch (error) {
      const fields = error?.body?.fields;
      result.replaceChildren(
        message(
          "error",
          fields ? Object.values(fields).flat().join(" ") : error?.message || t("invite.failed"),
        ),
      );
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

// The patient's language (their mail's, and their account's to start with): the app's own
// language unless the physician picks the other.
const LANGUAGE_NAMES = { en: "invite.language.en", es: "invite.language.es" };

function languageField() {
  const id = uid("language");
  const current = language();
  return h(
    "div",
    { class: "field" },
    h("label", { for: id, text: t("invite.patientLanguage") }),
    h(
      "select",
      { id, name: "language" },
      LANGUAGES.map((code) =>
        h("option", {
          value: code,
          lang: code,
          text: t(LANGUAGE_NAMES[code]),
          selected: code === current,
        }),
      ),
    ),
  );
}

export function inviteView() {
  const form = invitationForm({
    path: "/api/v1/invitations/",
    nameLabel: t("invite.patientName"),
    emailLabel: t("invite.patientEmail"),
    fields: languageField(),
    extraBody: (form) => ({ language: form.elements.language.value }),
  });
  return h(
    "section",
    { class: "stack narrow" },
    h("h1", { tabindex: "-1", text: t("invite.title") }),
    h("p", {
      class: "lead",
      text: t("invite.lead"),
    }),
    form,
  );
}
