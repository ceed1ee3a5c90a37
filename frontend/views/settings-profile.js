// Settings: your name and your timezone. A patient who moves keeps every saved check-in on
// the day it was logged; check-ins from then on use the new zone (the server keeps them so).

import { ApiError, json } from "../api.js";
import { h, message, uid } from "../dom.js";
import { t } from "../i18n.js";
import { profileChanged } from "../session.js";
import { errorText, field } from "./signin.js";

/** "America/Argentina/Buenos_Aires" → "America / Argentina / Buenos Aires". */
export const zoneLabel = (zone) => zone.replaceAll("_", " ").replaceAll("/", " / ");

async function zones(current) {
  try {
    const { timezones } = await json("/api/v1/auth/timezones/");
    return timezones.includes(current) ? timezones : [current, ...timezones];
  } catch {
    return [current]; // offline: the form still shows (and saves the name when back online)
  }
}

export async function section(ctx) {
  const user = ctx.user;
  const status = h("div", { role: "status", class: "form-status" });
  const selectId = uid("timezone");
  const hintId = uid("timezone-hint");
  const patient = user.role === "patient";
  const select = h(
    "select",
    { id: selectId, name: "timezone", "aria-describedby": patient ? hintId : null },
    (await zones(user.timezone)).map((zone) =>
      h("option", { value: zone, text: zoneLabel(zone), selected: zone === user.timezone }),
    ),
  );
  select.value = user.timezone;
  const phoneZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const usePhone = h("button", {
    type: "button",
    class: "button secondary",
    text: t("settings.profile.usePhone", { zone: zoneLabel(phoneZone ?? "") }),
    onclick: () => {
      select.value = phoneZone;
      usePhone.hidden = true;
      select.focus();
    },
  });
  const offerPhone = () => {
    usePhone.hidden =
      !phoneZone ||
      select.value === phoneZone ||
      ![...select.options].some((option) => option.value === phoneZone);
  };
  select.addEventListener("change", offerPhone);
  offerPhone();
  // What a move means for a patient's check-ins (a physician has none).
  const hint = patient
    ? h("p", {
        class: "hint",
        id: hintId,
        "data-timezone-hint": "",
        text: t("settings.profile.zoneHint"),
      })
    : null;
  const form = h(
    "form",
    { class: "stack", "aria-labelledby": "settings-profile-title" },
    field({
      name: "display_name",
      labelText: t("settings.profile.name"),
      autocomplete: "name",
      value: user.display_name,
    }),
    h("div", { class: "field" }, h("label", { for: selectId, text: t("settings.profile.zone") }), hint, select),
    usePhone,
    h("button", { type: "submit", class: "button primary", text: t("settings.save") }),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    status.replaceChildren();
    try {
      const updated = await json("/api/v1/auth/me/", {
        method: "PATCH",
        body: { display_name: form.elements.display_name.value.trim(), timezone: select.value },
      });
      await profileChanged(updated);
      form.elements.display_name.value = updated.display_name;
      select.value = updated.timezone;
      offerPhone();
      status.replaceChildren(message("success", t("settings.saved"), { "data-saved-profile": "" }));
    } catch (error) {
      const fields = error instanceof ApiError ? error.body?.fields : null;
      status.replaceChildren(message("error", errorText(error, t("settings.profile.offline"))));
      const first = fields && Object.keys(fields).find((name) => form.elements[name]);
      if (first) form.elements[first].focus();
    } finally {
      button.disabled = false;
    }
  });
  return h(
    "section",
    { class: "card stack", "data-section": "profile" },
    h("h2", { id: "settings-profile-title", text: t("settings.profile.title") }),
    form,
  );
}
