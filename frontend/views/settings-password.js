// Settings: change your password. Every other phone or computer signed in to the account
// is signed out; this one stays signed in.

import { ApiError, json } from "../api.js";
import { h, message } from "../dom.js";
import { showPassword } from "./reset.js";
import { PASSWORD_HINT, errorText, field } from "./signin.js";

const OFFLINE = "You are offline. Changing your password needs a connection.";

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
      labelText: "Current password",
      type: "password",
      autocomplete: "current-password",
    }),
    field({
      name: "new_password",
      labelText: "New password",
      type: "password",
      autocomplete: "new-password",
      hint: PASSWORD_HINT,
    }),
    showPassword(() => form.elements.new_password),
    h("button", { type: "submit", class: "button primary", text: "Change password" }),
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
          "Your password has been changed. You are still signed in here; any other phone " +
            "or computer has been signed out.",
          { "data-changed": "" },
        ),
      );
    } catch (error) {
      const fields = error instanceof ApiError ? error.body?.fields : null;
      status.replaceChildren(message("error", errorText(error, OFFLINE)));
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
    h("h2", { id: "settings-password-title", text: "Password" }),
    form,
  );
}
