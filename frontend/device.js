// What this device keeps in localStorage, because start-up must read it before anything
// else and IndexedDB cannot be read synchronously:
// - the role of whoever is signed in here ("patient" / "physician"), so a patient's phone
//   draws the check-in form at once instead of waiting for IndexedDB and the network;
// - that a sign-out made offline still has to end the session on the server;
// - the app's language ("en" / "es": the signed-in user's, kept equal to their profile's,
//   or one chosen on the sign-in page), and whether a choice made offline has still to be
//   sent to the server;
// - the text size ("1" standard, "2" large, "3" largest), applied as <html data-text-size>.
// None is a token, a name or anything about anyone's health. Sign-out removes all of them
// but the text size, which is about the screen, not the person.

const ROLE = "relief.role";
const LOGOUT_PENDING = "relief.logout-pending";
const LANGUAGE = "relief.language";
const LANGUAGE_PENDING = "relief.language-pending";
const TEXT_SIZE = "relief.text-size";
export const TEXT_SIZES = ["1", "2", "3"];

function read(key) {
  try {
    return globalThis.localStorage?.getItem(key) ?? null;
  } catch {
    return null; // storage disabled: start-up takes the slower path
  }
}

function write(key, value) {
  try {
    if (value === null) globalThis.localStorage?.removeItem(key);
    else globalThis.localStorage?.setItem(key, value);
  } catch {
    // storage disabled: nothing to remember
  }
}

/** "patient", "physician" or null: who was signed in on this device last. */
export const signedInRole = () => read(ROLE);

export const rememberRole = (role) => write(ROLE, role ?? null);

/** True when a sign-out could not reach the server and must be sent before anything else. */
export const logoutPending = () => read(LOGOUT_PENDING) === "1";

export const setLogoutPending = (pending) => write(LOGOUT_PENDING, pending ? "1" : null);

/** "en", "es" or null (none chosen on this device: the browser's language applies). */
export const storedLanguage = () => read(LANGUAGE);

export const rememberLanguage = (lang) => write(LANGUAGE, lang ?? null);

/** True when a language chosen here (offline, say) has not reached the server yet. */
export const languagePending = () => read(LANGUAGE_PENDING) === "1";

export const setLanguagePending = (pending) => write(LANGUAGE_PENDING, pending ? "1" : null);

/** "1" (standard), "2" (large) or "3" (largest). */
export function textSize() {
  const size = read(TEXT_SIZE);
  return TEXT_SIZES.includes(size) ? size : "1";
}

/** Applies `size` to the page (<html data-text-size>) and remembers it on this device. */
export function setTextSize(size) {
  const value = TEXT_SIZES.includes(String(size)) ? String(size) : "1";
  write(TEXT_SIZE, value === "1" ? null : value);
  applyTextSize();
}

export function applyTextSize() {
  const root = globalThis.document?.documentElement;
  if (root) root.dataset.textSize = textSize();
}
