// The physician's and the practice's words in Spanish (issue #18): the pure builders of the
// desk, the patient page, the practice, the print-report button and the chart's tap line
// follow the app's language, plurals included, and English stays as it was.
import assert from "node:assert/strict";
import { test } from "node:test";

import { readCatalog, useLanguage } from "./i18n-setup.mjs";

import { pointsText } from "../../frontend/charts.js";
import { t } from "../../frontend/i18n.js";
import { reminderNote } from "../../frontend/views/patient.js";
import { firstPageNote } from "../../frontend/views/patients.js";
import { roleName } from "../../frontend/views/people.js";
import { practiceErrorText } from "../../frontend/views/practice.js";
import { reportErrorText } from "../../frontend/views/report.js";

const NAMESPACES = ["desk", "patient", "flags", "invite", "people", "practice", "careteam", "visit", "report", "charts"];
const mine = (catalog) => Object.keys(catalog).filter((key) => NAMESPACES.includes(key.split(".")[0]));
const placeholders = (value) =>
  [...new Set([...JSON.stringify(value).matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();

test("every desk message is in both languages, with the same placeholders and plural forms", () => {
  const en = readCatalog("en");
  const es = readCatalog("es");
  assert.ok(mine(en).length > 150);
  assert.deepEqual(mine(es), mine(en));
  for (const key of mine(en)) {
    assert.deepEqual(placeholders(es[key]), placeholders(en[key]), key);
    assert.equal(typeof es[key], typeof en[key], key);
    if (typeof en[key] === "object") {
      assert.ok("other" in en[key] && "other" in es[key], key);
      assert.notEqual(es[key].other, en[key].other, key);
    }
  }
});

test("the desk's counts and notes in Spanish, singular and plural", () => {
  useLanguage("es", ["es-US"]);
  try {
    assert.equal(t("desk.countAttention", { count: 1 }), "1 paciente, primero quienes necesitan atención");
    assert.equal(
      t("desk.countAttention", { count: 1200 }),
      "1,200 pacientes, primero quienes necesitan atención",
    );
    assert.equal(t("desk.countMatching", { count: 2, search: "ana" }), "2 pacientes coinciden con «ana»");
    assert.equal(t("desk.openFlagsLabel", { count: 1 }), "1 alerta abierta");
    assert.equal(t("flags.heading", { count: 3 }), "Alertas: 3 abiertas");
    assert.equal(t("desk.column.responder"), "Estado de respondedor");
    const rows = Array.from({ length: 100 }, (_, i) => ({ id: String(i) }));
    assert.equal(
      firstPageNote({ count: 240, results: rows }),
      " (se muestran los primeros 100: busque o filtre para encontrar los demás)",
    );
    assert.equal(firstPageNote({ count: 100, results: rows }), "");
    assert.equal(t("visit.needVolume", { n: 2, min: 0.1, max: 20 }), "Sitio 2: el volumen debe estar entre 0.1 y 20 ml.");
  } finally {
    useLanguage("en");
  }
});

test("decimals in a Spanish locale that writes a comma", () => {
  useLanguage("es", ["es-ES"]);
  try {
    assert.equal(t("visit.needVolume", { n: 1, min: 0.1, max: 20 }), "Sitio 1: el volumen debe estar entre 0,1 y 20 ml.");
    assert.equal(t("practice.percent", { value: 50 }), "50\u00a0%");
  } finally {
    useLanguage("en");
  }
});

test("the practice's, the report's and the roles' words in Spanish", () => {
  useLanguage("es", ["es-US"]);
  try {
    assert.equal(practiceErrorText({ network: true }), "La vista del consultorio necesita conexión.");
    assert.equal(practiceErrorText({ body: { code: "no_practice" } }), "Todavía no pertenece a ningún consultorio.");
    assert.equal(practiceErrorText(undefined), "No disponible.");
    assert.equal(reportErrorText({ status: 404 }), "Esta visita ya no está disponible.");
    assert.equal(reportErrorText({ sessionExpired: true }), "Su sesión ha terminado. Vuelva a iniciar sesión.");
    assert.equal(roleName("practice_admin"), "Administrador del consultorio");
    assert.equal(roleName("physician"), "Médico");
    assert.equal(roleName("robot"), "robot");
    assert.equal(
      t("practice.rates", { count: 1, responded: "100 %", substantial: "100 %" }),
      // no line break inside "≥ 30 %" (non-breaking spaces)
      "1 visita evaluada: respuesta en el 100 % (≥\u00a030\u00a0%) y respuesta sustancial en el 100 % (≥\u00a050\u00a0%).",
    );
  } finally {
    useLanguage("en");
  }
  assert.equal(roleName("practice_admin"), "Practice administrator");
  assert.equal(practiceErrorText(undefined), "Unavailable.");
});

test("the reminder note and a tapped point in Spanish", () => {
  const now = new Date();
  const earlier = new Date(now.getTime() - 1000);
  useLanguage("es", ["es-US"]);
  try {
    const time = new Intl.DateTimeFormat("es-US", { hour: "2-digit", minute: "2-digit" }).format(earlier);
    const note = reminderNote({ at: earlier.toISOString(), by: "Dra. Ríos" }, now);
    // (just after midnight the reminder may be yesterday's: then it is the "last" form)
    if (note.startsWith("Recordatorio")) {
      assert.equal(note, `Recordatorio enviado hoy a las ${time} por Dra. Ríos.`);
    } else assert.match(note, /^Último recordatorio: .+, por Dra\. Ríos\.$/);
    assert.match(reminderNote({ at: "2020-01-02T10:00:00Z" }, now), /^Último recordatorio: .+\.$/);
    const pain = { text: ["Dolor 4"] };
    assert.equal(pointsText([{ data: pain, curveNumber: 0, pointIndex: 0, x: 3 }]), "Día 3: Dolor 4.");
    assert.equal(
      pointsText([{ data: { text: ["Sin registros."] }, curveNumber: 0, pointIndex: 0, x: 2 }]),
      "Día 2: Sin registros.",
    );
  } finally {
    useLanguage("en");
  }
  assert.equal(
    pointsText([{ data: { text: ["Pain 4"] }, curveNumber: 0, pointIndex: 0, x: 3 }]),
    "Day 3: Pain 4.",
  );
});
