// Words in the reader's language. One JSON catalog per language (locales/<lang>.json, flat
// keys such as "checkin.title"), loaded with the shell and precached by the service worker,
// so a language chosen offline applies at once. DOM-free: node tests load a catalog with
// useCatalog().
//
// - t(key, params): the message, with {name} placeholders filled in. A message whose value
//   is an object is a plural: its key is chosen by Intl.PluralRules from params.count
//   ("one", "many", "other"...; "other" when the language has no such form). Numbers in
//   params are written in the reader's locale. Never build a sentence by joining
//   translations: a sentence is one message with placeholders, so each language keeps its
//   own word order.
// - tParts(key, nodes): a message whose placeholders are nodes (a link inside a sentence),
//   as an array of strings and those nodes, in the language's order.
// - language() / locale(): "en" or "es", and the BCP 47 locale dates and numbers are written
//   in (the language, with the browser's region when it has one: "es-US", "en-GB").

export const LANGUAGES = ["en", "es"];
export const DEFAULT_LANGUAGE = "en";

let current = DEFAULT_LANGUAGE;
let messages = {};
let plurals = new Intl.PluralRules(DEFAULT_LANGUAGE);
let numbers = new Intl.NumberFormat(DEFAULT_LANGUAGE);
let currentLocale = DEFAULT_LANGUAGE;
const listeners = new Set();

/** The browser's preferred tags, most preferred first. */
function browserTags() {
  const nav = globalThis.navigator;
  const tags = nav?.languages?.length ? nav.languages : [nav?.language].filter(Boolean);
  return tags.map(String);
}

const base = (tag) => String(tag).toLowerCase().split(/[-_]/)[0];

/** A supported language for `tag` ("es-MX" → "es"), or null. */
export function supported(tag) {
  const code = tag ? base(tag) : "";
  return LANGUAGES.includes(code) ? code : null;
}

/** The browser's first supported language (the sign-in page's, and a new account's). */
export function browserLanguage() {
  for (const tag of browserTags()) {
    const code = supported(tag);
    if (code) return code;
  }
  return DEFAULT_LANGUAGE;
}

/** The locale for `lang`: the browser's own tag in that language, else its region, else the bare language. */
export function localeFor(lang, tags = browserTags()) {
  const same = tags.find((tag) => base(tag) === lang);
  const region = tags.map((tag) => tag.split(/[-_]/)[1]).find((part) => /^[A-Za-z]{2}$|^\d{3}$/.test(part ?? ""));
  for (const candidate of [same, region ? `${lang}-${region.toUpperCase()}` : null, lang]) {
    if (!candidate) continue;
    try {
      return Intl.getCanonicalLocales(candidate)[0];
    } catch {
      // a tag this ICU cannot read: try the next
    }
  }
  return lang;
}

export const language = () => current;
export const locale = () => currentLocale;

/** Use `catalog` (a parsed locales/<lang>.json) for `lang` from now on. */
export function useCatalog(lang, catalog, { tags } = {}) {
  current = supported(lang) ?? DEFAULT_LANGUAGE;
  messages = catalog ?? {};
  currentLocale = localeFor(current, tags ?? browserTags());
  plurals = new Intl.PluralRules(currentLocale);
  numbers = new Intl.NumberFormat(currentLocale, { maximumFractionDigits: 1 });
  if (globalThis.document?.documentElement) globalThis.document.documentElement.lang = current;
  for (const listener of listeners) listener(current);
}

const loaded = new Map();
/** Fetch (the service worker answers offline) and use `lang`'s catalog. */
export async function loadLanguage(lang) {
  const code = supported(lang) ?? DEFAULT_LANGUAGE;
  if (!loaded.has(code)) {
    loaded.set(
      code,
      fetch(`/locales/${code}.json`, { credentials: "same-origin" }).then((response) => {
        if (!response.ok) throw new Error(`catalog ${code}: HTTP ${response.status}`);
        return response.json();
      }),
    );
  }
  try {
    useCatalog(code, await loaded.get(code));
  } catch (error) {
    loaded.delete(code);
    throw error;
  }
  return code;
}

/** Call `listener(lang)` after every change of language (the app redraws). */
export function onLanguageChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** A number in the reader's locale, one decimal at most: 2.5 → "2,5" in Spanish. */
export function formatNumber(value) {
  return numbers.format(value);
}

function fill(text, params) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => {
    if (!(name in params)) return whole;
    const value = params[name];
    return typeof value === "number" ? formatNumber(value) : String(value ?? "");
  });
}

function pick(key, params) {
  const entry = messages[key];
  if (entry === undefined) return key; // a missing key shows itself (the catalog tests catch it)
  if (typeof entry === "string") return entry;
  const count = Number(params?.count);
  return entry[plurals.select(Number.isFinite(count) ? count : 0)] ?? entry.other ?? key;
}

/** The message `key` in the current language, placeholders filled from `params`. */
export function t(key, params = {}) {
  return fill(pick(key, params), params);
}

/** Whether the current catalog has `key`. */
export const has = (key) => key in messages;

/**
 * The message `key` as parts: text, with each {name} whose value in `nodes` is not a
 * string or number left as that value (a DOM node), so a link can sit inside a sentence
 * in any word order. Strings and numbers are filled in as t() does.
 */
export function tParts(key, nodes = {}) {
  const text = pick(key, nodes);
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(/\{(\w+)\}/g)) {
    const value = nodes[match[1]];
    if (value === undefined || typeof value === "string" || typeof value === "number") continue;
    parts.push(fill(text.slice(last, match.index), nodes), value);
    last = match.index + match[0].length;
  }
  parts.push(fill(text.slice(last), nodes));
  return parts.filter((part) => part !== "");
}
