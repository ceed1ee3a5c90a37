// The API client. The access token lives only in this module's memory; the refresh token is
// an HttpOnly cookie the browser sends to /api/v1/auth/ and JavaScript never sees. Refreshes
// are single-flight: one per tab (a shared promise) and one across tabs (a Web Lock), because
// each refresh token works once and a losing concurrent refresh would end up signed out.

import { logoutPending, setLogoutPending } from "./device.js";
import { language, t } from "./i18n.js";

const REFRESH_MARGIN_MS = 30_000;
const MAX_REFRESH_RETRIES = 2; // after "refresh_in_progress" (see retryWaitMs)
const MAX_RETRY_WAIT_S = 30;

let access = null;
let validUntil = 0; // device-clock time until which the access token is good
let refreshing = null;
const expiredListeners = new Set();

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.detail || t("error.http", { status: String(status) }));
    this.status = status;
    this.body = body || {};
  }
}

export class NetworkError extends Error {
  constructor(cause) {
    super(t("error.network"));
    this.cause = cause;
    this.network = true;
  }
}

export class SessionExpired extends Error {
  constructor() {
    super(t("error.sessionEnded"));
    this.sessionExpired = true;
  }
}

/** Token lifetime from its own claims (exp - iat), measured on this device's clock. */
function lifetimeMs(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
    if (claims.exp && claims.iat) return (claims.exp - claims.iat) * 1000;
  } catch {
    // not a JWT we can read: rely on the server's 401
  }
  return Number.POSITIVE_INFINITY;
}

function setAccess(token) {
  access = token;
  const lifetime = lifetimeMs(token);
  validUntil = Date.now() + lifetime - Math.min(REFRESH_MARGIN_MS, lifetime / 10);
}

export function forgetAccess() {
  access = null;
  validUntil = 0;
}

export const hasAccess = () => access !== null;

export function onSessionExpired(listener) {
  expiredListeners.add(listener);
  return () => expiredListeners.delete(listener);
}

function sessionExpired() {
  forgetAccess();
  for (const listener of expiredListeners) listener();
  return new SessionExpired();
}

/** The headers every request to the API carries: JSON, and the app's language (the server
 * writes its messages in it). */
export const baseHeaders = () => ({ Accept: "application/json", "Accept-Language": language() });

async function send(path, { method = "GET", body, auth = true, signal } = {}) {
  const headers = baseHeaders();
  const init = { method, headers, credentials: "same-origin", cache: "no-store", signal };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (auth && access) headers.Authorization = `Bearer ${access}`;
  try {
    return await fetch(path, init);
  } catch (error) {
    if (error?.name === "AbortError") throw error;
    throw new NetworkError(error);
  }
}

function withLock(fn) {
  if (globalThis.navigator?.locks?.request) {
    return navigator.locks.request("relief-token-refresh", fn);
  }
  return fn();
}

/**
 * How long to wait before asking again, when the server refused a refresh because the
 * cookie's token was spent a moment ago ("refresh_in_progress", with Retry-After): by a
 * concurrent refresh, or by one whose answer never reached this device (the app was closed
 * or the network dropped mid-refresh). The session lives on; asked again after that long,
 * the server issues a new pair. Null for any other refusal (the session has ended).
 */
async function retryWaitMs(response) {
  const body = await readBody(response.clone());
  if (body?.code !== "refresh_in_progress") return null;
  const seconds = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
  return Math.min(Number.isFinite(seconds) && seconds > 0 ? seconds : 1, MAX_RETRY_WAIT_S) * 1000;
}

/**
 * A new access token from the refresh cookie. Resolves to the signed-in user; rejects with
 * SessionExpired (sign in again) or NetworkError (try later; the session may be fine).
 */
export function refresh() {
  if (!refreshing) {
    refreshing = withLock(async () => {
      // Signed out on this device while offline: end that session, never extend it.
      if (logoutPending()) {
        await settleSignOut();
        throw sessionExpired();
      }
      let response;
      for (let attempt = 1; ; attempt++) {
        response = await send("/api/v1/auth/token/refresh/", {
          method: "POST",
          body: {},
          auth: false,
        });
        const wait = response.status === 401 ? await retryWaitMs(response) : null;
        if (wait === null) break;
        // Still in progress after the retries: the session is fine, try again later.
        if (attempt > MAX_REFRESH_RETRIES) throw new NetworkError(new ApiError(401, null));
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
      if (response.status === 401 || response.status === 400) throw sessionExpired();
      if (!response.ok) throw new ApiError(response.status, await readBody(response));
      const data = await response.json();
      setAccess(data.access);
      return data.user;
    }).finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

async function readBody(response) {
  if (response.status === 204) return null;
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text.slice(0, 200) };
  }
}

/**
 * An authenticated request; refreshes first when the token is missing or about to expire,
 * and once more on a 401. Resolves to {status, body, headers}; never throws for HTTP errors.
 */
export async function request(path, options = {}) {
  const response = await authorized(path, options);
  return { status: response.status, body: await readBody(response), headers: response.headers };
}

async function authorized(path, options) {
  if (!access || Date.now() >= validUntil) await refresh();
  let response = await send(path, options);
  if (response.status === 401) {
    await refresh();
    response = await send(path, options);
    if (response.status === 401) throw sessionExpired();
  }
  return response;
}

/**
 * An authenticated GET of a file (an export), its body unread: the bytes as the server wrote
 * them (request() would parse them). Throws ApiError for an HTTP error.
 */
export async function fetchFile(path, options = {}) {
  const response = await authorized(path, options);
  if (!response.ok) throw new ApiError(response.status, await readBody(response));
  return response;
}

/** Like request(), but resolves to the body of a 2xx answer and throws ApiError otherwise. */
export async function json(path, options = {}) {
  const { status, body } = await request(path, options);
  if (status < 200 || status >= 300) throw new ApiError(status, body);
  return body;
}

export async function signIn(email, password) {
  const response = await send("/api/v1/auth/token/", {
    method: "POST",
    body: { email, password },
    auth: false,
  });
  const body = await readBody(response);
  if (!response.ok) throw new ApiError(response.status, body);
  // The body also carries the refresh token for native clients; the web app relies on the
  // HttpOnly cookie set by the same response and keeps nothing but the access token.
  setAccess(body.access);
  // The new cookie replaced any old one: a sign-out still pending must not end this session.
  setLogoutPending(false);
  return body.user;
}

/** Creates the account (in the app's current language: its mail and screens follow it). */
export async function acceptInvitation(code, password, timezone) {
  const accept = (body) =>
    send("/api/v1/invitations/accept/", { method: "POST", body, auth: false });
  let response = await accept({ code, password, timezone, language: language() });
  let body = await readBody(response);
  // A server that keeps no language (older than #18) refuses the field: sign up without it.
  if (response.status === 400 && body?.fields?.language) {
    response = await accept({ code, password, timezone });
    body = await readBody(response);
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

/** Ends the session on the server (and its cookie). Throws NetworkError when offline. */
export async function signOut() {
  const response = await send("/api/v1/auth/logout/", { method: "POST", body: {} });
  forgetAccess();
  if (!response.ok && response.status !== 401) throw new ApiError(response.status, null);
}

let settling = null;

/**
 * Ends on the server a session that was signed out of on this device while offline (the
 * HttpOnly refresh cookie still names it). Resolves to true once nothing is pending, false
 * when the server could not be reached (try again on `online` or at the next start).
 */
export function settleSignOut() {
  if (!logoutPending()) return Promise.resolve(true);
  settling ??= (async () => {
    try {
      await signOut();
    } catch (error) {
      if (error?.network || error?.status >= 500) return false;
    }
    setLogoutPending(false);
    return true;
  })().finally(() => {
    settling = null;
  });
  return settling;
}

/** Query string from an object, skipping empty values. */
export function qs(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
