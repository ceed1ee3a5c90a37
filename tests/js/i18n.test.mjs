// Issue #18: the web app in English and Spanish, complete.
// - The two catalogs (frontend/locales/en.json, es.json) have the same keys, the same plural
//   forms ("other" always) and the same {placeholders}; they are written in the one format
//   the lead regenerates them in (sorted keys, 2-space indent).
// - Every key the code names exists, and every key in the catalogs is used.
// - No words for people outside the catalogs: a scanner over frontend/**/*.js and
//   index.html flags literals that read as human text.
// - i18n.js itself (plurals, placeholders, tParts, localeFor) and format.js in Spanish.
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { readCatalog, useLanguage } from "./i18n-setup.mjs";
import { formatNumber, locale, localeFor, t, tParts } from "../../frontend/i18n.js";
import {
  CONDITIONS,
  num,
  painWord,
  patientSummary,
  percent,
  refusalMessages,
  sorenessWord,
} from "../../frontend/format.js";
import { aftercareFor, contactClinic } from "../../frontend/aftercare.js";
import { earlierFeltAt, formatDate } from "../../frontend/dates.js";
import { auditSentence } from "../../frontend/views/mydata.js";
import { facts } from "../../frontend/views/entries.js";

const FRONTEND = fileURLToPath(new URL("../../frontend/", import.meta.url));
const en = readCatalog("en");
const es = readCatalog("es");

// Keys the code builds rather than names: each prefix with the code that builds it.
const DYNAMIC_PREFIXES = {
  "format.condition.": "format.js labels(): CONDITIONS[code]",
  "format.bodyRegion.": "format.js labels(): BODY_REGIONS[code]",
  "format.side.": "format.js labels(): SIDES[code]",
  "format.injectate.": "format.js labels(): INJECTATES[code]",
  "format.bruising.": "format.js labels(): BRUISING[code]",
  "format.flagTitle.": "format.js labels(): FLAG_TITLES[code]",
  "format.flagState.": "format.js labels(): FLAG_STATES[code]",
  "format.flagAdvice.": "format.js labels(): FLAG_ADVICE[code]",
  "format.baselineSource.": "format.js labels(): BASELINE_SOURCES[code]",
  "entries.done.": "views/entries.js facts(): what was done, by combination",
};

function jsFiles(dir = FRONTEND) {
  const files = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === "vendor" || name.startsWith(".")) continue;
    if (statSync(path).isDirectory()) files.push(...jsFiles(path));
    else if (name.endsWith(".js")) files.push(path);
  }
  return files.sort();
}

const rel = (path) => relative(FRONTEND, path).split("\\").join("/");
const placeholders = (text) => [...String(text).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const forms = (value) => (typeof value === "string" ? { "": value } : value);

// ------------------------------------------------------------------------------ catalogs

test("both catalogs have exactly the same keys", () => {
  const missingEs = Object.keys(en).filter((key) => !(key in es));
  const missingEn = Object.keys(es).filter((key) => !(key in en));
  assert.deepEqual({ missingEs, missingEn }, { missingEs: [], missingEn: [] });
});

test("plurals: objects in both catalogs, always with 'other', only CLDR forms", () => {
  const CLDR = new Set(["zero", "one", "two", "few", "many", "other"]);
  for (const key of Object.keys(en)) {
    const a = en[key];
    const b = es[key];
    assert.equal(typeof a, typeof b, `${key}: a plural in one catalog only`);
    if (typeof a === "string") continue;
    for (const [lang, value] of [["en", a], ["es", b]]) {
      assert.ok("other" in value, `${key} (${lang}) has no "other"`);
      for (const form of Object.keys(value)) assert.ok(CLDR.has(form), `${key} (${lang}): ${form}`);
    }
    // Spanish says 1000000 with "many" (Intl.PluralRules("es")): give it, or "other" covers it.
    assert.ok(typeof b.other === "string");
  }
});

test("every message has the same {placeholders} in both languages and in each form", () => {
  for (const key of Object.keys(en)) {
    const expected = placeholders(typeof en[key] === "string" ? en[key] : en[key].other);
    for (const [lang, catalog] of [["en", en], ["es", es]]) {
      for (const [form, text] of Object.entries(forms(catalog[key]))) {
        // A "one" form may say the number in words ("1 día" vs "un día") and drop {count}.
        const got = placeholders(text).filter((p) => !(form === "one" && p === "count"));
        const want = expected.filter((p) => !(form === "one" && p === "count"));
        assert.deepEqual(got, want, `${key} (${lang}${form ? `, ${form}` : ""})`);
      }
    }
  }
});

test("catalogs are written as the lead regenerates them (sorted keys, 2-space JSON)", () => {
  for (const lang of ["en", "es"]) {
    const text = readFileSync(join(FRONTEND, "locales", `${lang}.json`), "utf8");
    const catalog = JSON.parse(text);
    const sorted = Object.fromEntries(
      Object.keys(catalog)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        .map((key) => [key, catalog[key]]),
    );
    assert.equal(text, `${JSON.stringify(sorted, null, 2)}\n`, `${lang}.json`);
  }
});

test("no empty message, and no Spanish message left in English", () => {
  for (const key of Object.keys(en)) {
    for (const [form, text] of Object.entries(forms(es[key]))) {
      assert.ok(text.trim(), `${key} ${form} is empty in es.json`);
    }
  }
});

// ------------------------------------------------------------------------------ keys used

const sources = Object.fromEntries(jsFiles().map((path) => [rel(path), readFileSync(path, "utf8")]));
const indexHtml = readFileSync(join(FRONTEND, "index.html"), "utf8");

test("every key the code names with t()/tParts() exists in the catalogs", () => {
  const missing = [];
  for (const [file, text] of Object.entries(sources)) {
    for (const match of text.matchAll(/\bt(?:Parts)?\(\s*"([^"]+)"/g)) {
      if (!(match[1] in en)) missing.push(`${file}: ${match[1]}`);
    }
  }
  for (const match of indexHtml.matchAll(/data-i18n(?:-[\w-]+)?="([^"]+)"/g)) {
    if (!(match[1] in en)) missing.push(`index.html: ${match[1]}`);
  }
  assert.deepEqual(missing, []);
});

test("every catalog key is used: named in the code, in index.html, or built from a listed prefix", () => {
  const named = new Set();
  for (const text of [...Object.values(sources), indexHtml]) {
    for (const match of text.matchAll(/["'`]([a-z][A-Za-z0-9]*(?:\.[A-Za-z0-9_]+)+)["'`]/g)) {
      named.add(match[1]);
    }
  }
  const unused = Object.keys(en).filter(
    (key) => !named.has(key) && !Object.keys(DYNAMIC_PREFIXES).some((p) => key.startsWith(p)),
  );
  assert.deepEqual(unused, []);
});

test("each built key's code exists: the label maps give a word for every code", () => {
  useLanguage("es", ["es-US"]);
  try {
    for (const [code, text] of Object.entries(CONDITIONS)) {
      assert.ok(!text.startsWith("format."), `${code}: ${text}`);
    }
    for (const combo of ["ice", "heat", "strenuous", "ice_heat", "ice_strenuous", "heat_strenuous", "ice_heat_strenuous"]) {
      assert.ok(`entries.done.${combo}` in es, combo);
    }
  } finally {
    useLanguage("en");
  }
});

// ------------------------------------------------------------------------- the scanner

/**
 * The string and template literals of `source`, comments stripped: [{text, line, before}],
 * `before` being the code on the same line before the literal (its context). A template's
 * ${...} parts read as "{}", and their own literals are scanned too.
 */
export function literals(source) {
  const found = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let lastSignificant = "";
  const stack = []; // template nesting: brace depth at each ${
  let depth = 0;
  const regexAllowed = () => !lastSignificant || /[(,=:[!&|?{};+\-*%<>~^]$/.test(lastSignificant) ||
    /\b(return|typeof|case|in|of|new|delete|void|throw)$/.test(lastSignificant);
  const readTemplate = (startLine, before) => {
    // i is just after the opening backtick (or after the } closing a ${ })
    let text = "";
    while (i < source.length) {
      const c = source[i];
      if (c === "\\") {
        text += source[i + 1];
        i += 2;
        continue;
      }
      if (c === "`") {
        i += 1;
        found.push({ text, line: startLine, before });
        return;
      }
      if (c === "$" && source[i + 1] === "{") {
        text += "{}";
        i += 2;
        stack.push({ depth, text, startLine, before });
        depth = 0;
        return "open";
      }
      if (c === "\n") {
        line += 1;
        lineStart = i + 1;
      }
      text += c;
      i += 1;
    }
  };
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === "\n") {
      line += 1;
      lineStart = i + 1;
      i += 1;
      continue;
    }
    if (c === "/" && next === "/") {
      while (i < source.length && source[i] !== "\n") i += 1;
      continue;
    }
    if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      for (const ch of source.slice(i, end)) if (ch === "\n") line += 1;
      i = end + 2;
      continue;
    }
    if (c === "/" && regexAllowed()) {
      let inClass = false;
      i += 1;
      while (i < source.length && (source[i] !== "/" || inClass)) {
        if (source[i] === "\\") i += 1;
        else if (source[i] === "[") inClass = true;
        else if (source[i] === "]") inClass = false;
        i += 1;
      }
      i += 1;
      while (/[a-z]/.test(source[i] ?? "")) i += 1;
      lastSignificant = "regex";
      continue;
    }
    if (c === '"' || c === "'") {
      const before = source.slice(lineStart, i);
      let text = "";
      i += 1;
      while (i < source.length && source[i] !== c) {
        if (source[i] === "\\") {
          text += source[i + 1];
          i += 2;
          continue;
        }
        text += source[i];
        i += 1;
      }
      i += 1;
      found.push({ text, line, before });
      lastSignificant = "str";
      continue;
    }
    if (c === "`") {
      i += 1;
      readTemplate(line, source.slice(lineStart, i - 1));
      lastSignificant = "str";
      continue;
    }
    if (c === "{") depth += 1;
    if (c === "}") {
      if (depth === 0 && stack.length) {
        const frame = stack.pop();
        depth = frame.depth;
        i += 1;
        // the rest of the template: its text continues the frame's
        const at = found.length;
        const state = readTemplate(frame.startLine, frame.before);
        if (state !== "open" && found.length > at) {
          const rest = found.pop();
          found.push({ ...rest, text: frame.text + rest.text });
        } else if (state === "open") {
          stack[stack.length - 1].text = frame.text + stack[stack.length - 1].text;
        }
        lastSignificant = "str";
        continue;
      }
      depth -= 1;
    }
    if (!/\s/.test(c)) {
      lastSignificant = /[\w$]/.test(c) ? (lastSignificant.match(/[\w$]+$/)?.[0] ?? "") + c : c;
    }
    i += 1;
  }
  return found;
}

// Where a literal is shown to a person whatever it looks like.
const UI_CONTEXT =
  /(?:\btext|"aria-label"|\btitle|placeholder|\blabelText|\blabel|\bmessage|\bhint|\blegend|\bsubmitLabel|\bdescription|\bempty|\bheading|\balt)\s*:\s*$|\.textContent\s*=\s*$|\b(?:alert|confirm|announce)\(\s*$|\bmessage\(\s*"[a-z]+",\s*$/;
// Looks like words for people: a capitalised word and a space, or words ending a sentence.
const HUMAN = (text) =>
  (/\b[A-Z][a-z]+\b/.test(text) && / [A-Za-z]/.test(text)) ||
  /[a-z]{2,}[^.]* [a-z]+[.?!…:]$/.test(text.trim());
const KEY = /^[a-z][A-Za-z0-9]*(\.[A-Za-z0-9_]+)+$/;
const NOT_WORDS = (text) =>
  !/[A-Za-z]{2,}/.test(text) || KEY.test(text) || /^(\/|#|\.\/|\.\.\/|https?:|tel:|mailto:)/.test(text);
// Code in which a literal is for developers, not people.
const DEVELOPER_CONTEXT = /\b(?:console\.\w+|Error|TypeError|RangeError|assert\w*)\(\s*$|\bthrow\s+$|\bimport\s*\(?\s*$|\bfrom\s*$|performance\.mark\(\s*$/;

// Literals that read as words but are not shown to people, each with the reason.
const ALLOWLIST = {
  "Bearer {}": "api.js: the Authorization header",
  "unexpected result {}": "outbox.js: last_error, kept for debugging, never shown",
  "HTTP {}": "outbox.js: last_error, kept for debugging, never shown",
  "How are you today? Your check-in takes a few seconds.":
    "service-worker.js: a push without text (the server always sends it, translated); the worker cannot read the app's language",
  English: "views/settings-display.js: a language's name is written in that language",
  Español: "views/settings-display.js: a language's name is written in that language",
};

export function scan(source, file = "source.js") {
  const problems = [];
  for (const { text, line, before } of literals(source)) {
    if (NOT_WORDS(text) || text in ALLOWLIST) continue;
    if (DEVELOPER_CONTEXT.test(before)) continue;
    const shown = UI_CONTEXT.test(before);
    if ((shown && /[A-Za-z]{2,}/.test(text) && !/^[a-z][\w-]*$/.test(text)) || HUMAN(text)) {
      problems.push(`${file}:${line}: ${JSON.stringify(text)}`);
    }
  }
  return problems;
}

test("the scanner catches words for people, and leaves code alone", () => {
  assert.equal(scan('h("p", { text: "Hello there" });').length, 1);
  assert.equal(scan("h('p', { text: `Hello ${name}` });").length, 1);
  assert.equal(scan('el.textContent = "Saved";').length, 1);
  assert.equal(scan('announce("Check-in deleted.");').length, 1);
  assert.equal(scan('h("button", { "aria-label": "Close" });').length, 1);
  assert.equal(scan('const X = "Your pain went up after day 3.";').length, 1);
  assert.equal(scan('h("p", {}, "two words here.")').length, 1);
  assert.deepEqual(scan('h("p", { class: "message error", text: t("a.b") });'), []);
  assert.deepEqual(scan('// h("p", { text: "Hello there" })\n/* "Also Not" */'), []);
  assert.deepEqual(scan('console.warn("Something odd here");\nthrow new Error("Bad thing here");'), []);
  assert.deepEqual(scan('const re = /a "b" c/g; import("./views/x.js");'), []);
});

test("no words for people outside the catalogs (frontend/**/*.js)", () => {
  const problems = [];
  for (const [file, text] of Object.entries(sources)) {
    problems.push(...scan(text, file));
  }
  assert.deepEqual(problems, []);
});

test("no words for people outside the catalogs (index.html)", () => {
  // The page's own text nodes and shown attributes: each element with words carries
  // data-i18n (its text) or data-i18n-<attribute>, filled at start-up.
  const html = indexHtml.replace(/<!--[\s\S]*?-->/g, "");
  const problems = [];
  const SKIP = {
    Relief: "the brand (the <title> until a screen names itself, and the top bar)",
  };
  // <noscript> shows only with JavaScript off, when no catalog can reach it: both languages.
  const body = html.replace(/<noscript>[\s\S]*?<\/noscript>/, "").replace(/<head>[\s\S]*?<\/head>/, "");
  for (const match of body.matchAll(/<([a-z]+)([^>]*)>([^<]*)/g)) {
    const [, , attrs, text] = match;
    const words = text.trim();
    if (words && !SKIP[words] && !/data-i18n="/.test(attrs)) problems.push(`text: ${words}`);
    for (const attr of attrs.matchAll(/\s(aria-label|title|placeholder|alt)="([^"]*)"/g)) {
      if (!new RegExp(`data-i18n-${attr[1]}="`).test(attrs)) problems.push(`${attr[1]}: ${attr[2]}`);
    }
  }
  assert.deepEqual(problems, []);
  assert.match(html, /<noscript>.*lang="es"/s);
});

// ------------------------------------------------------------------------------ i18n.js

test("plurals in Spanish, including 'many' for a million", () => {
  useLanguage("es", ["es-ES"]);
  try {
    assert.equal(t("sync.waiting", { count: 1 }), "1 pendiente de enviar");
    assert.equal(t("sync.waiting", { count: 3 }), "3 pendientes de enviar");
    assert.equal(new Intl.PluralRules("es").select(1000000), "many");
    assert.equal(t("sync.waiting", { count: 1000000 }), "1.000.000 pendientes de enviar");
  } finally {
    useLanguage("en");
  }
  assert.equal(t("recovery.olderShown", { count: 1 }), "1 older check-in shown.");
  assert.equal(t("recovery.olderShown", { count: 2 }), "2 older check-ins shown.");
});

test("placeholders: filled, numbers in the reader's locale, an unknown one left as is", () => {
  assert.equal(t("checkin.greetingName", { name: "Ana" }), "How are you today, Ana?");
  assert.equal(t("checkin.greetingName"), "How are you today, {name}?");
  assert.equal(t("no.such.key"), "no.such.key");
  useLanguage("es", ["es-ES"]);
  try {
    assert.equal(t("format.percent", { value: 2.5 }), "2,5 %");
    assert.equal(formatNumber(2.5), "2,5");
    useLanguage("es", ["es-MX"]);
    assert.equal(formatNumber(1234.56), "1,234.6"); // es-MX writes a decimal point
  } finally {
    useLanguage("en");
  }
});

test("tParts keeps each language's order around a node", () => {
  const link = { node: true };
  assert.deepEqual(tParts("checkin.callClinic", { name: "Oak Clinic", phone: link }), [
    "Call Oak Clinic: ",
    link,
  ]);
  useLanguage("es", ["es-US"]);
  try {
    assert.deepEqual(tParts("checkin.callYourClinic", { phone: link }), ["Llame a su clínica: ", link]);
  } finally {
    useLanguage("en");
  }
});

test("localeFor: the browser's own tag in that language, else its region, else the language", () => {
  assert.equal(localeFor("es", ["es-MX", "en-US"]), "es-MX");
  assert.equal(localeFor("es", ["en-US"]), "es-US");
  assert.equal(localeFor("en", ["de-DE"]), "en-DE");
  assert.equal(localeFor("es", ["fr"]), "es");
  assert.equal(localeFor("en", []), "en");
});

// ------------------------------------------------------------------------ format.js in es

test("format.js, aftercare, dates and My data speak Spanish", () => {
  useLanguage("es", ["es-US"]);
  try {
    assert.equal(locale(), "es-US");
    assert.equal(painWord(0), "Sin dolor");
    assert.equal(painWord(2), "Leve");
    assert.equal(painWord(5), "Moderado");
    assert.equal(painWord(8), "Intenso");
    assert.equal(painWord(10), "El peor dolor imaginable");
    assert.equal(sorenessWord(0), "Sin molestias");
    assert.equal(num(2.5), "2.5"); // es-US writes a point
    useLanguage("es", ["es-ES"]);
    assert.equal(num(2.5), "2,5");
    assert.equal(percent(56.7), "57 %");
    const base = { latest_pain: 3, latest_date: "2026-03-09", latest_day: 8, baseline: 7 };
    assert.equal(
      patientSummary({ ...base, latest_relief: 57.14 }, "2026-03-09"),
      "Dolor 3 hoy, un 57 % menos que antes de la inyección",
    );
    assert.equal(
      patientSummary({ ...base, latest_change: -1 }, "2026-03-10"),
      "Dolor 3 el día 8, 1 punto menos que antes de la inyección",
    );
    assert.equal(
      patientSummary({ ...base, latest_pain: 2.5, latest_change: 1.5, latest_day: null }, "x"),
      "Dolor 2,5 en su último registro, 1,5 puntos más que antes de la inyección",
    );
    assert.equal(patientSummary(null, "x"), "Todavía no hay registros desde esta inyección.");
    assert.equal(aftercareFor(0).heading, "Día de la inyección (día 0)");
    assert.equal(contactClinic().length, 5);
    assert.match(contactClinic()[1], /moretón grande/);
    assert.deepEqual(refusalMessages({ refused: { fields: { pain: ["x"] } } }), [
      "El dolor debe ser un número entero del 0 al 10.",
    ]);
    assert.equal(
      facts({ pain: 3, soreness: 2, bruising: "small", iced: true, heated: false, strenuous_activity: true }),
      "Dolor 3 · dolor en el sitio 2 · moretones: pequeño · hielo, actividad intensa",
    );
    assert.equal(
      auditSentence({ actor: { display_name: "Dra. Ruiz" }, actor_kind: "physician", action: "read", resource_kind: "checkins", outcome: "allowed" }),
      "Dra. Ruiz vio sus registros",
    );
    assert.match(formatDate("2026-03-09"), /mar/);
    const now = new Date("2026-03-09T12:00:00Z");
    assert.equal(earlierFeltAt({ date: "", time: "", now, timeZone: "UTC" }).error, "Elija el día.");
  } finally {
    useLanguage("en");
  }
  // English as it always was
  assert.equal(painWord(10), "Worst imaginable");
  assert.equal(
    facts({ pain: 3, soreness: 2, bruising: "small", iced: true, heated: false, strenuous_activity: true }),
    "Pain 3 · soreness 2 · bruising small · ice, strenuous activity",
  );
});
