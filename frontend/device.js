// The two things this device keeps in localStorage, because start-up must read them before
// anything else and IndexedDB cannot be read synchronously:
// - the role of whoever is signed in here ("patient" / "physician"), so a patient's phone
//   draws the check-in form at once instead of waiting for IndexedDB and the network;
// - that a sign-out made offline still has to end the session on the server.
// Neither is a token, a name or anything about anyone's health. Sign-out removes the role.

const ROLE = "relief.role";
const LOGOUT_PENDING = "relief.logout-pending";

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
