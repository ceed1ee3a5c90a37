// For DOM-free tests of code that calls t(): loads a catalog from frontend/locales into
// i18n.js. Importing this module loads English (with a US browser); useLanguage() switches.
import { readFileSync } from "node:fs";
import { useCatalog } from "../../frontend/i18n.js";

export function readCatalog(lang) {
  return JSON.parse(readFileSync(new URL(`../../frontend/locales/${lang}.json`, import.meta.url)));
}

export function useLanguage(lang = "en", tags = ["en-US"]) {
  useCatalog(lang, readCatalog(lang), { tags });
}

useLanguage("en");
