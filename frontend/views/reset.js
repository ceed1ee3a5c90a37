// Forgotten password: ask for a link by email (#/reset), then choose a new password on the
// page the emailed link opens (#/reset?token=...), then sign in with it.

import { ApiError, NetworkError } from "../api.js";
import { h, message, uid } from "../dom.js";
import { PASSWORD_HINT, errorText, field } from "./signin.js";

const OFFLINE = "You are offline. This needs a connection.";
// The same words whether or not the address has an account (the server answers alike).
const SENT =
  "If an account exists for that email, we have sent a link to it. The link works for " +
  "30 minutes. If nothing arrives, check your spam folder or ask again.";

async function post(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (error) {
    throw new NetworkError(error);
  }
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** A "Show password" toggle (a large button, like the check-in's) for `input()`. */
export function showPassword(input) {
  const id = uid("show-password");
  const box = h("input", { type: "checkbox", id, class: "visually-hidden" });
  box.addEventListener("change", () => {
    input().type = box.checked ? "text" : "password";
  });
  return h("span", { class: "toggle" }, box, h("label", { for: id, text: "Show password" }));
}

function tokenFromHash() {
  return new URLSearchParams(location.hash.split("?")[1] ?? "").get("token") ?? "";
}

export function resetView(ctx) {
  const token = tokenFromHash();
  return token ? newPasswordView(ctx, token) : askView(ctx);
}

function askView(ctx) {
  const status = h("div", { role: "status", class: "form-status" });
  const form = h(
    "form",
    { class: "stack" },
    field({
      name: "email",
      labelText: "Email",
      type: "email",
      autocomplete: "username",
      value: ctx.lastEmail ?? "",
    }),
    h("button", { type: "submit", class: "button primary wide", text: "Send me a link" }),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    status.replaceChildren();
    try {
      await post("/api/v1/auth/password/reset/", { email: form.elements.email.value.trim() });
      status.replaceChildren(message("success", SENT, { "data-sent": "" }));
    } catch (error) {
      const text =
        error instanceof ApiError && error.status === 429
          ? "You have asked several times. Please wait a few minutes before asking again."
          : errorText(error, OFFLINE);
      status.replaceChildren(message("error", text));
    } finally {
      button.disabled = false;
    }
  });
  return h(
    "section",
    { class: "stack narrow" },
    h("h1", { tabindex: "-1", text: "Forgot your password?" }),
    h("p", {
      class: "lead",
      text: "Enter the email you sign in with. We will email you a link to choose a new password.",
    }),
    form,
    h("p", {}, h("a", { href: "#/", text: "Back to sign in" })),
  );
}

function newPasswordView(ctx, token) {
  const status = h("div", { role: "alert", class: "form-status" });
  const password = field({
    name: "password",
    labelText: "New password",
    type: "password",
    autocomplete: "new-password",
    hint: PASSWORD_HINT,
  });
  const form = h(
    "form",
    { class: "stack" },
    password,
    showPassword(() => form.elements.password),
    h("button", { type: "submit", class: "button primary wide", text: "Save my new password" }),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    status.replaceChildren();
    try {
      const done = await post("/api/v1/auth/password/reset/confirm/", {
        token,
        password: form.elements.password.value,
      });
      // Every session has ended, this device's too: sign in with the new password. The
      // link is replaced in the history, so "back" does not offer a spent link.
      ctx.lastEmail = done.email;
      ctx.notice = "Your password has been changed. Sign in with your new password.";
      history.replaceState(null, "", "#/");
      ctx.focusNext();
      ctx.route();
    } catch (error) {
      const fields = error instanceof ApiError ? error.body?.fields : null;
      if (fields?.token) {
        status.replaceChildren(
          h(
            "div",
            { class: "message error" },
            h("p", { text: "This link has expired or has already been used." }),
            h("p", {}, h("a", { href: "#/reset", text: "Ask for a new link" })),
          ),
        );
      } else {
        status.replaceChildren(message("error", errorText(error, OFFLINE)));
        if (fields?.password) form.elements.password.focus();
      }
    } finally {
      button.disabled = false;
    }
  });
  return h(
    "section",
    { class: "stack narrow" },
    h("h1", { tabindex: "-1", text: "Choose a new password" }),
    h("p", {
      class: "lead",
      text: "Once it is saved, you will be signed out everywhere and can sign in with it.",
    }),
    form,
  );
}
