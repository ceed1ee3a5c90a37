// Sign in, and accept an invitation (set a password with the code from the clinic). The
// form helpers and the password policy's hint are shared with reset.js and settings.

import { ApiError, acceptInvitation, settleSignOut, signIn } from "../api.js";
import { h, message, uid } from "../dom.js";
import { t } from "../i18n.js";
import { languageSwitch } from "./settings-display.js";

// accounts/passwords.py, in the patient's words.
export const passwordHint = () => t("signin.passwordHint");

export function field({ name, labelText, type = "text", autocomplete, value = "", hint }) {
  const id = uid(name);
  const hintId = hint ? uid(`${name}-hint`) : null;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id, text: labelText }),
    hint ? h("p", { class: "hint", id: hintId, text: hint }) : null,
    h("input", {
      id,
      name,
      type,
      autocomplete,
      value,
      required: true,
      "aria-describedby": hintId,
    }),
  );
}

export function errorText(error, offline = t("signin.offline")) {
  if (error?.network) return offline;
  if (error instanceof ApiError) {
    if (error.status === 429) return t("error.tooMany");
    const fields = error.body?.fields;
    if (fields) {
      return Object.values(fields).flat().join(" ") || error.message;
    }
    return error.message;
  }
  return t("error.generic");
}

export function signInView(ctx) {
  const status = h("div", { role: "alert", class: "form-status" });
  const form = h(
    "form",
    { class: "stack", novalidate: false },
    field({
      name: "email",
      labelText: t("signin.email"),
      type: "email",
      autocomplete: "username",
      value: ctx.lastEmail ?? "",
    }),
    field({
      name: "password",
      labelText: t("signin.password"),
      type: "password",
      autocomplete: "current-password",
    }),
    h("button", { type: "submit", class: "button primary wide", text: t("signin.submit") }),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    status.replaceChildren();
    try {
      await settleSignOut(); // end an offline sign-out's session before its cookie is replaced
      const user = await signIn(form.elements.email.value.trim(), form.elements.password.value);
      await ctx.signedIn(user);
    } catch (error) {
      status.replaceChildren(message("error", errorText(error)));
    } finally {
      button.disabled = false;
    }
  });
  return h(
    "section",
    { class: "stack narrow" },
    languageSwitch(),
    h("h1", { tabindex: "-1", text: t("signin.title") }),
    ctx.notice ? h("p", { class: "message info", role: "status", text: ctx.notice }) : null,
    form,
    h("p", {}, h("a", { href: "#/reset", text: t("signin.forgot") })),
    h("p", {}, h("a", { href: "#/accept", text: t("signin.haveCode") })),
  );
}

export function acceptView(ctx) {
  const status = h("div", { role: "alert", class: "form-status" });
  const code = new URLSearchParams(location.hash.split("?")[1] ?? "").get("code") ?? "";
  const form = h(
    "form",
    { class: "stack" },
    field({
      name: "code",
      labelText: t("accept.code"),
      autocomplete: "one-time-code",
      value: code,
      hint: t("accept.codeHint"),
    }),
    field({
      name: "password",
      labelText: t("accept.password"),
      type: "password",
      autocomplete: "new-password",
      hint: passwordHint(),
    }),
    h("button", { type: "submit", class: "button primary wide", text: t("accept.submit") }),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    status.replaceChildren();
    const password = form.elements.password.value;
    try {
      const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
      const account = await acceptInvitation(form.elements.code.value.trim(), password, zone);
      await settleSignOut();
      const user = await signIn(account.email, password);
      await ctx.signedIn(user);
    } catch (error) {
      status.replaceChildren(message("error", errorText(error)));
    } finally {
      button.disabled = false;
    }
  });
  return h(
    "section",
    { class: "stack narrow" },
    languageSwitch(),
    h("h1", { tabindex: "-1", text: t("accept.title") }),
    form,
    h("p", {}, h("a", { href: "#/", text: t("signin.back") })),
  );
}
