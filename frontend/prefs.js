// The device's display preferences, applied before the first screen is drawn: the text size
// at once, and the language's catalog fetched as early as the page allows. index.html loads
// this module as a script of its own, ahead of app.js, so the catalog is on its way while
// the rest of the first screen's modules are still arriving (app.js awaits `ready`).
//
// The language: the one kept on this device (the signed-in user's, or one chosen on the
// sign-in page), else the browser's first supported language.

import { applyTextSize, storedLanguage } from "./device.js";
import { DEFAULT_LANGUAGE, browserLanguage, loadLanguage, supported } from "./i18n.js";

applyTextSize();

/** The language this start-up uses. */
export const startLanguage = () => supported(storedLanguage()) ?? browserLanguage();

/**
 * Resolves once a catalog is in use: this device's language, else English; never rejects
 * (with no catalog at all the app still starts, showing keys rather than nothing).
 */
export const ready = loadLanguage(startLanguage())
  .catch(() => loadLanguage(DEFAULT_LANGUAGE))
  .catch(() => DEFAULT_LANGUAGE);
