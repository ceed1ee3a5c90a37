// Settings: change your password. Every other phone or computer signed in to the account
// is signed out; this one stays signed in.

import { ApiError, json } from "../api.js";
import { h, message } from "../dom.js";
import { t } from "../i18n.js";
import { showPassword } from "./reset.js";
import { errorText, field, passwordHint } from "./signin.js";

export async function section(ctx) {
  const status = h("div", { role: "status", class: "form-status" });
  const form = h(
    "form",
    { class: "stack", "aria-labelledby": "settings-password-title" },
    // For password managers: whose password this is (not shown).
    h("input", {
      type: "email",
      name: "username",
      autocomplete: "username",
      value: ctx.user.email,
      hidden: true,
      readonly: true,
    }),
    field({
      name: "current_password",
      labelText: t("settings.password.current"),
      type: "password",
      autocomplete: "current-password",
    }),
    field({
      name: "new_password",
      labelText: t("reset.newPassword"),
      type: "password",
      autocomplete: "new-password",
      hint: passwordHint(),
    }),
    showPassword(() => form.elements.new_password),
    h("button", { type: "submit", class: "button primary", text: t("settings.password.submit") }),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    status.replaceChildren();
    for (const input of form.querySelectorAll("[aria-invalid]")) {
      input.removeAttribute("aria-invalid");
    }
    try {
      await json("/api/v1/auth/password/", {
        method: "POST",
        body: {
          current_password: form.elements.current_password.value,
          new_password: form.elements.new_password.value,
        },
      });
      form.reset();
      form.elements.new_password.type = "password";
      status.replaceChildren(
        message(
          "success",
          t("settings.password.changed"),
          { "data-changed": "" },
        ),
      );
    } catch (error) {
      const fields = error instanceof ApiError ? error.body?.fields : null;
      status.replaceChildren(message("error", errorText(error, t("settings.password.offline"))));
      const first = fields && Object.keys(fields).find((name) => form.elements[name]);
      if (first) {
        form.elements[first].setAttribute("aria-invalid", "true");
        form.elements[first].focus();
      }
    } finally {
      button.disabled = false;
    }
  });
  return h(
    "section",
    { class: "card stack", "data-section": "password" },
    h("h2", { id: "settings-password-title", text: t("settings.password.title") }),
    form,
  );
}
