// Sign in, and accept an invitation (set a password with the code from the clinic). The
// form helpers and the password policy's hint are shared with reset.js and settings.

import { ApiError, acceptInvitation, settleSignOut, signIn } from "../api.js";
import { h, message, uid } from "../dom.js";

// accounts/passwords.py, in the patient's words.
export const PASSWORD_HINT =
  "At least 15 characters: a few words in a row make a good one, and spaces count. " +
  "Not your name or email, and not a common password.";

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

export function errorText(error, offline = "You are offline. Signing in needs a connection.") {
  if (error?.network) return offline;
  if (error instanceof ApiError) {
    if (error.status === 429) return "Too many attempts. Please wait a few minutes.";
    const fields = error.body?.fields;
    if (fields) {
      return Object.values(fields).flat().join(" ") || error.message;
    }
    return error.message;
  }
  return "Something went wrong. Please try again.";
}

export function signInView(ctx) {
  const status = h("div", { role: "alert", class: "form-status" });
  const form = h(
    "form",
    { class: "stack", novalidate: false },
    field({
      name: "email",
      labelText: "Email",
      type: "email",
      autocomplete: "username",
      value: ctx.lastEmail ?? "",
    }),
    field({
      name: "password",
      labelText: "Password",
      type: "password",
      autocomplete: "current-password",
    }),
    h("button", { type: "submit", class: "button primary wide", text: "Sign in" }),
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
    h("h1", { tabindex: "-1", text: "Sign in to Relief" }),
    ctx.notice ? h("p", { class: "message info", role: "status", text: ctx.notice }) : null,
    form,
    h("p", {}, h("a", { href: "#/reset", text: "Forgot password?" })),
    h("p", {}, h("a", { href: "#/accept", text: "I have an invitation code" })),
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
      labelText: "Invitation code",
      autocomplete: "one-time-code",
      value: code,
      hint: "From your clinic's invitation.",
    }),
    field({
      name: "password",
      labelText: "Choose a password",
      type: "password",
      autocomplete: "new-password",
      hint: PASSWORD_HINT,
    }),
    h("button", { type: "submit", class: "button primary wide", text: "Create my account" }),
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
    h("h1", { tabindex: "-1", text: "Join your clinic on Relief" }),
    form,
    h("p", {}, h("a", { href: "#/", text: "Back to sign in" })),
  );
}
