// Record a visit, or edit one: date, condition, baseline pain, sites (muscle, side,
// injectates, volume).

import { json } from "../api.js";
import { datetimeLocalValue, fromDatetimeLocal } from "../dates.js";
import { h, message, uid } from "../dom.js";
import { BODY_REGIONS, CONDITIONS, INJECTATES, SIDES, label } from "../format.js";
import { t } from "../i18n.js";

function select({ name, labelText, options, value, required = true, placeholder }) {
  const id = uid(name);
  return h(
    "div",
    { class: "field" },
    h("label", { for: id, text: labelText }),
    h(
      "select",
      { id, name, required },
      placeholder !== undefined ? h("option", { value: "", text: placeholder }) : null,
      Object.keys(options).map((v) =>
        h("option", { value: v, text: label(options, v), selected: v === value }),
      ),
    ),
  );
}

function input({ name, labelText, type = "text", value = "", required = true, ...rest }) {
  const id = uid(name);
  return h(
    "div",
    { class: "field" },
    h("label", { for: id, text: labelText }),
    h("input", { id, name, type, value, required, ...rest }),
  );
}

const NRS = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [String(i), String(i)]));

function siteFieldset(index, onRemove, site = null) {
  const legendText = t("visit.site", { n: index + 1 });
  const chosen = site?.injectates ?? ["lidocaine"];
  const injectates = Object.keys(INJECTATES).map((v) => {
    const id = uid(`inj-${v}`);
    return h(
      "span",
      { class: "toggle" },
      h("input", {
        type: "checkbox",
        id,
        name: "injectates",
        value: v,
        class: "visually-hidden",
        checked: chosen.includes(v),
      }),
      h("label", { for: id, text: label(INJECTATES, v) }),
    );
  });
  const fieldset = h(
    "fieldset",
    { class: "site card", "data-site": String(index) },
    h("legend", { text: legendText }),
    select({
      name: "body_region",
      labelText: t("visit.bodyRegion"),
      options: BODY_REGIONS,
      value: site?.body_region ?? "neck",
    }),
    input({
      name: "muscle",
      labelText: t("visit.muscle"),
      autocomplete: "off",
      maxlength: "100",
      value: site?.muscle ?? "",
    }),
    select({ name: "side", labelText: t("visit.side"), options: SIDES, value: site?.side ?? "left" }),
    h(
      "fieldset",
      { class: "choice" },
      h("legend", { text: t("visit.injectates") }),
      h("div", { class: "choice-options" }, injectates),
    ),
    input({
      name: "volume_ml",
      labelText: t("visit.volume"),
      type: "number",
      value: site ? String(site.volume_ml) : "1.0",
      min: "0.1",
      max: "20",
      step: "0.1",
      inputmode: "decimal",
    }),
    onRemove
      ? h("button", {
          type: "button",
          class: "button secondary small",
          text: t("visit.removeSite", { n: index + 1 }),
          onclick: onRemove,
        })
      : null,
  );
  return fieldset;
}

function readSite(fieldset) {
  const get = (name) => fieldset.querySelector(`[name="${name}"]`);
  return {
    body_region: get("body_region").value,
    muscle: get("muscle").value.trim(),
    side: get("side").value,
    injectates: [...fieldset.querySelectorAll('[name="injectates"]:checked')].map((i) => i.value),
    volume_ml: Number(get("volume_ml").value),
  };
}

function fieldErrors(body) {
  const fields = body?.fields ?? {};
  const lines = [];
  for (const [name, value] of Object.entries(fields)) {
    if (name === "sites" && Array.isArray(value)) {
      value.forEach((site, i) => {
        if (site && typeof site === "object" && !Array.isArray(site)) {
          for (const [f, msgs] of Object.entries(site)) {
            const text = [msgs].flat().join(" ");
            lines.push(t("visit.siteFieldError", { n: i + 1, field: f, message: text }));
          }
        } else if (site) lines.push(t("visit.sitesError", { message: String(site) }));
      });
    } else lines.push(t("visit.fieldError", { field: name, message: [value].flat().join(" ") }));
  }
  return lines.length ? lines.join(" ") : body?.detail || t("visit.saveFailed");
}

const painValue = (v) => (v === null || v === undefined ? "" : String(v));

/**
 * The visit form. With `visit`, it edits that visit (PATCH; the date is sent only when
 * changed, so an untouched visit keeps its exact time) and offers `onCancel`.
 */
export function visitForm({ patientId, visit = null, onSaved, onCancel = null }) {
  // A new visit's id, made here: pressing Save again after a lost answer sends the same id,
  // and the server returns the visit it recorded instead of recording a second one.
  let newVisitId = crypto.randomUUID();
  const sites = h("div", { class: "stack sites" });
  const status = h("div", { class: "form-status", role: "status" });
  const renumber = () => {
    const all = [...sites.children];
    all.forEach((fs, i) => {
      fs.querySelector("legend").textContent = t("visit.site", { n: i + 1 });
      fs.dataset.site = String(i);
    });
  };
  const addSite = (site = null) => {
    const index = sites.children.length;
    const fs = siteFieldset(
      index,
      index === 0
        ? null
        : () => {
            fs.remove();
            renumber();
          },
      site,
    );
    sites.append(fs);
    return fs;
  };
  for (const site of visit?.sites?.length ? visit.sites : [null]) addSite(site);
  const performedAt = datetimeLocalValue(visit ? new Date(visit.performed_at) : new Date());
  const notesId = uid("visit-notes");

  const form = h(
    "form",
    { class: "stack visit-form", novalidate: true },
    input({
      name: "performed_at",
      labelText: t("visit.performedAt"),
      type: "datetime-local",
      value: performedAt,
    }),
    select({
      name: "condition",
      labelText: t("visit.condition"),
      options: CONDITIONS,
      placeholder: t("visit.choose"),
      value: visit?.condition,
    }),
    select({
      name: "baseline_pain",
      labelText: t("visit.baselinePain"),
      options: NRS,
      placeholder: t("visit.notRecorded"),
      required: false,
      value: painValue(visit?.baseline_pain),
    }),
    select({
      name: "post_injection_pain",
      labelText: t("visit.postInjectionPain"),
      options: NRS,
      placeholder: t("visit.notRecorded"),
      required: false,
      value: painValue(visit?.post_injection_pain),
    }),
    sites,
    h("button", {
      type: "button",
      class: "button secondary",
      text: t("visit.addSite"),
      onclick: () => addSite().querySelector("select").focus(),
    }),
    h(
      "div",
      { class: "field" },
      h("label", { for: notesId, text: t("visit.notes") }),
      h("textarea", { id: notesId, name: "notes", rows: "2", maxlength: "5000" }),
    ),
    h("button", {
      type: "submit",
      class: "button primary wide",
      text: visit ? t("visit.save") : t("visit.record"),
    }),
    onCancel
      ? h("button", {
          type: "button",
          class: "button secondary",
          text: t("visit.cancel"),
          onclick: onCancel,
        })
      : null,
    status,
  );
  if (visit?.notes) form.elements.notes.value = visit.notes;

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const el = form.elements;
    const siteValues = [...sites.children].map(readSite);
    const problems = [];
    if (!el.performed_at.value) problems.push(t("visit.needDate"));
    if (!el.condition.value) problems.push(t("visit.needCondition"));
    siteValues.forEach((s, i) => {
      if (!s.muscle) problems.push(t("visit.needMuscle", { n: i + 1 }));
      if (!s.injectates.length) problems.push(t("visit.needInjectate", { n: i + 1 }));
      if (!(s.volume_ml >= 0.1 && s.volume_ml <= 20)) {
        problems.push(t("visit.needVolume", { n: i + 1, min: 0.1, max: 20 }));
      }
    });
    if (problems.length) {
      status.replaceChildren(message("error", problems.join(" ")));
      return;
    }
    const body = {
      patient: patientId,
      performed_at: fromDatetimeLocal(el.performed_at.value),
      condition: el.condition.value,
      baseline_pain: el.baseline_pain.value === "" ? null : Number(el.baseline_pain.value),
      post_injection_pain:
        el.post_injection_pain.value === "" ? null : Number(el.post_injection_pain.value),
      notes: el.notes.value,
      sites: siteValues,
    };
    if (visit && el.performed_at.value === performedAt) delete body.performed_at;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const saved = visit
        ? await json(`/api/v1/visits/${visit.id}/`, { method: "PATCH", body })
        : await json("/api/v1/visits/", { method: "POST", body: { id: newVisitId, ...body } });
      if (!visit) newVisitId = crypto.randomUUID(); // the next Save is another visit
      const text = t(visit ? "visit.updated" : "visit.recorded", { code: saved.cpt_code });
      status.replaceChildren(message("success", text, { "data-cpt": saved.cpt_code }));
      onSaved?.(saved);
    } catch (error) {
      // 409: this form's id is taken, by this visit recorded with other details (edit it in
      // the list) or, by a fluke, by another visit (a new id lets the next Save through).
      if (error?.status === 409 && error.body?.code === "conflict") newVisitId = crypto.randomUUID();
      const text = error?.network
        ? t("visit.offline")
        : error?.status === 409
          ? error.body?.detail
          : fieldErrors(error?.body);
      status.replaceChildren(message("error", text));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
