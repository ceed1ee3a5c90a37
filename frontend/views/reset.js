// Forgotten password: ask for a link by email (#/reset), then choose a new password on the
// page the emailed link opens (#/reset?token=...), then sign in with it.

import { ApiError, NetworkError, baseHeaders } from "../api.js";
import { h, message, uid } from "../dom.js";
import { t } from "../i18n.js";
import { languageSwitch } from "./settings-display.js";
import { errorText, field, passwordHint } from "./signin.js";

const offline = () => t("reset.offline");

async function post(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { ...baseHeaders(), "Content-Type": "application/json" },
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
  return h("span", { class: "toggle" }, box, h("label", { for: id, text: t("reset.showPassword") }));
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
      labelText: t("signin.email"),
      type: "email",
      autocomplete: "username",
      value: ctx.lastEmail ?? "",
    }),
    h("button", { type: "submit", class: "button primary wide", text: t("reset.send") }),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    status.replaceChildren();
    try {
      await post("/api/v1/auth/password/reset/", { email: form.elements.email.value.trim() });
      // The same words whether or not the address has an account (the server answers alike).
      status.replaceChildren(message("success", t("reset.sent"), { "data-sent": "" }));
    } catch (error) {
      const text =
        error instanceof ApiError && error.status === 429
          ? t("reset.tooMany")
          : errorText(error, offline());
      status.replaceChildren(message("error", text));
    } finally {
      button.disabled = false;
    }
  });
  return h(
    "section",
    { class: "stack narrow" },
    ctx.user ? null : languageSwitch(),
    h("h1", { tabindex: "-1", text: t("reset.title") }),
    h("p", { class: "lead", text: t("reset.lead") }),
    form,
    h("p", {}, h("a", { href: "#/", text: t("signin.back") })),
  );
}

function newPasswordView(ctx, token) {
  const status = h("div", { role: "alert", class: "form-status" });
  const password = field({
    name: "password",
    labelText: t("reset.newPassword"),
    type: "password",
    autocomplete: "new-password",
    hint: passwordHint(),
  });
  const form = h(
    "form",
    { class: "stack" },
    password,
    showPassword(() => form.elements.password),
    h("button", { type: "submit", class: "button primary wide", text: t("reset.save") }),
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
      ctx.notice = t("reset.changed");
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
            h("p", { text: t("reset.expired") }),
            h("p", {}, h("a", { href: "#/reset", text: t("reset.askAgain") })),
          ),
        );
      } else {
        status.replaceChildren(message("error", errorText(error, offline())));
        if (fields?.password) form.elements.password.focus();
      }
    } finally {
      button.disabled = false;
    }
  });
  return h(
    "section",
    { class: "stack narrow" },
    ctx.user ? null : languageSwitch(),
    h("h1", { tabindex: "-1", text: t("reset.newTitle") }),
    h("p", { class: "lead", text: t("reset.newLead") }),
    form,
  );
}
