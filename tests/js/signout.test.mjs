// A sign-out made offline: the next contact with the server ends that session, and no
// token refresh can extend it first. api.js against a fake fetch and localStorage.
import "./i18n-setup.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";

const storage = new Map();
globalThis.localStorage = {
  getItem: (k) => (storage.has(k) ? storage.get(k) : null),
  setItem: (k, v) => storage.set(k, String(v)),
  removeItem: (k) => storage.delete(k),
};
const calls = [];
let online = true;
globalThis.fetch = async (path) => {
  calls.push(path);
  if (!online) throw new TypeError("Failed to fetch");
  if (path.endsWith("/logout/")) return new Response(null, { status: 204 });
  const token = "x.eyJpYXQiOjAsImV4cCI6MzAwfQ.y"; // iat 0, exp 300
  return Response.json({ access: token, user: { id: "u1", role: "patient" } });
};

const api = await import("../../frontend/api.js");
const device = await import("../../frontend/device.js");

test("a pending sign-out is sent instead of a refresh, and the refresh fails", async () => {
  calls.length = 0;
  device.setLogoutPending(true);
  await assert.rejects(api.refresh(), (error) => error.sessionExpired === true);
  assert.deepEqual(calls, ["/api/v1/auth/logout/"]);
  assert.equal(device.logoutPending(), false);
});

test("offline, the sign-out stays pending and still no refresh is made", async () => {
  calls.length = 0;
  online = false;
  device.setLogoutPending(true);
  assert.equal(await api.settleSignOut(), false);
  await assert.rejects(api.refresh(), (error) => error.sessionExpired === true);
  assert.deepEqual(calls, ["/api/v1/auth/logout/", "/api/v1/auth/logout/"]);
  assert.equal(device.logoutPending(), true);
  online = true;
  assert.equal(await api.settleSignOut(), true);
  assert.equal(device.logoutPending(), false);
});

test("signing in again replaces the old cookie: nothing is left pending", async () => {
  device.setLogoutPending(true);
  const user = await api.signIn("a@example.org", "pw");
  assert.equal(user.id, "u1");
  assert.equal(device.logoutPending(), false);
  calls.length = 0;
  await api.refresh();
  assert.deepEqual(calls, ["/api/v1/auth/token/refresh/"]);
});
