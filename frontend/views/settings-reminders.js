// Settings › Reminders (patients only): on or off, the evening time, an optional morning one.
// The server plans the reminders (days 0-14 after each visit, none on a day with a check-in);
// this section only says what the patient chose and when the next one is due.

import { json } from "../api.js";
import { formatDateTime } from "../dates.js";
import { h, message, uid } from "../dom.js";
import { t } from "../i18n.js";

const URL = "/api/v1/reminders/settings/";

function toggle(name, text, checked) {
  const id = uid(name);
  return h(
    "span",
    { class: "toggle" },
    h("input", { type: "checkbox", id, name, class: "visually-hidden", checked }),
    h("label", { for: id, text }),
  );
}

function timeField(name, text, hint, { min, max, value }) {
  const id = uid(name);
  const hintId = `${id}-hint`;
  return h(
    "div",
    { class: "field", "data-field": name },
    h("label", { for: id, text }),
    h("input", {
      id,
      name,
      type: "time",
      min,
      max,
      step: 60,
      value: value ?? "",
      "aria-describedby": hintId,
    }),
    h("p", { id: hintId, class: "hint", text: hint }),
  );
}

function nextText(settings) {
  if (!settings.enabled) return t("settings.reminders.off");
  if (!settings.next_reminder_at) return t("settings.reminders.nonePlanned");
  const when = formatDateTime(settings.next_reminder_at, settings.timezone);
  return t("settings.reminders.next", { when });
}

export async function section(ctx) {
  if (ctx?.user?.role !== "patient") return null;
  const titleId = uid("reminders-title");
  const box = h(
    "section",
    { class: "card stack", "aria-labelledby": titleId, "data-section": "reminders" },
    h("h2", { id: titleId, text: t("settings.reminders.title") }),
  );
  let settings;
  try {
    settings = await json(URL);
  } catch (error) {
    box.append(
      message(
        "error",
        error?.network
          ? t("settings.reminders.loadOffline")
          : t("settings.reminders.loadFailed"),
      ),
    );
    return box;
  }

  const enabled = toggle("enabled", t("settings.reminders.enabled"), settings.enabled);
  const evening = timeField("evening_time", t("settings.reminders.evening"), t("settings.reminders.between", { from: "12:00", to: "22:00" }), {
    min: "12:00",
    max: "22:00",
    value: settings.evening_time,
  });
  const morningOn = toggle("morning", t("settings.reminders.morningToo"), settings.morning_time !== null);
  const morning = timeField("morning_time", t("settings.reminders.morning"), t("settings.reminders.between", { from: "05:00", to: "11:59" }), {
    min: "05:00",
    max: "11:59",
    value: settings.morning_time ?? "08:00",
  });
  const times = h("fieldset", { class: "stack" }, h("legend", { text: t("form.when") }), evening, morningOn, morning);
  const next = h("p", { class: "hint", "data-next": "", text: nextText(settings) });
  const status = h("div", { class: "form-status", role: "status" });
  const save = h("button", { type: "submit", class: "button primary", text: t("settings.reminders.save") });
  const form = h(
    "form",
    { class: "stack", novalidate: true },
    h("p", {
      text: t("settings.reminders.lead"),
    }),
    enabled,
    times,
    h("p", { class: "hint", text: t("settings.reminders.zone", { zone: settings.timezone }) }),
    next,
    save,
    status,
  );
  box.append(form);

  const controls = form.elements;
  const sync = () => {
    times.disabled = !controls.enabled.checked;
    morning.hidden = !controls.morning.checked;
  };
  controls.enabled.addEventListener("change", sync);
  controls.morning.addEventListener("change", sync);
  sync();

  const clearErrors = () => {
    for (const old of form.querySelectorAll(".message.error[data-error-for]")) old.remove();
    for (const input of form.querySelectorAll("[aria-invalid]")) {
      input.removeAttribute("aria-invalid");
      const hintId = input.getAttribute("aria-describedby")?.split(" ")[0];
      if (hintId) input.setAttribute("aria-describedby", hintId);
    }
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    status.replaceChildren();
    const body = { enabled: controls.enabled.checked };
    if (body.enabled) {
      body.evening_time = controls.evening_time.value;
      body.morning_time = controls.morning.checked ? controls.morning_time.value : null;
    }
    save.disabled = true;
    try {
      settings = await json(URL, { method: "PATCH", body });
      next.textContent = nextText(settings);
      status.replaceChildren(message("success", t("settings.reminders.saved", { next: nextText(settings) })));
    } catch (error) {
      const fields = error?.body?.fields;
      if (fields) {
        let first = null;
        for (const [name, messages] of Object.entries(fields)) {
          const input = controls[name];
          const text = messages.join(" ");
          if (input?.closest(".field")) {
            const errorId = `${input.id}-error`;
            input.setAttribute("aria-invalid", "true");
            input.setAttribute("aria-describedby", `${input.getAttribute("aria-describedby")} ${errorId}`);
            input.closest(".field").append(message("error", text, { id: errorId, "data-error-for": name }));
            first ??= input;
          } else {
            status.append(message("error", text));
          }
        }
        status.prepend(message("error", t("settings.reminders.checkTime")));
        first?.focus();
      } else {
        status.replaceChildren(
          message(
            "error",
            error?.network
              ? t("settings.reminders.saveOffline")
              : t("settings.reminders.saveFailed"),
          ),
        );
      }
    } finally {
      save.disabled = false;
    }
  });
  return box;
}
