// Sends the outbox: on start, on `online`, after sign-in, after each check-in and on a timer
// (backing off while it fails). It goes in batches through POST /entries/sync/. The logic
// lives in outbox.js; this wires it to IndexedDB, the API client and the page's events.

import { request } from "./api.js";
import { isoWithOffset } from "./dates.js";
import { outboxStore } from "./idb.js";
import {
  backoff,
  batchBody,
  flushBatches,
  isRefused,
  newItem,
  revised,
  singleFlight,
} from "./outbox.js";

const TIMER_MS = 60_000;
const listeners = new Set();
let owner = null; // the signed-in user's id: only their check-ins are sent
let timer = null;
let failures = 0;
// waiting: everything in this patient's outbox; refused: those the server would not take.
let state = { waiting: 0, refused: 0, stopped: null, syncing: false };

const mine = {
  all: async () => (await outboxStore.all()).filter((item) => item.owner === owner),
  put: (item) => outboxStore.put(item),
  remove: (id) => outboxStore.remove(id),
};

function emit(patch) {
  state = { ...state, ...patch };
  for (const listener of listeners) listener(state);
}

export function onChange(listener) {
  listeners.add(listener);
  listener(state);
  return () => listeners.delete(listener);
}

export const status = () => state;

/** The whole outbox (up to 500 at a time) in one request: one result per entry. */
function sendBatch(items) {
  return request("/api/v1/entries/sync/", { method: "POST", body: batchBody(items) });
}

const flushShared = singleFlight(async () => {
  emit({ syncing: true });
  try {
    return await flushBatches({ store: mine, sendBatch });
  } catch (error) {
    // IndexedDB trouble: report as a retry; nothing was removed.
    return { sent: 0, remaining: (await mine.all()).length, rejected: 0, stopped: "retry", error };
  }
});

const counts = async () => {
  const items = await mine.all();
  return { waiting: items.length, refused: items.filter(isRefused).length };
};

/** Sends what is waiting (if anyone is signed in). Resolves to flushBatches's result. */
export async function flush() {
  if (!owner) return { sent: 0, remaining: 0, stopped: null };
  const result = await flushShared();
  failures = result.stopped && result.stopped !== "auth" ? failures + 1 : 0;
  emit({ ...(await counts().catch(() => ({}))), stopped: result.stopped, syncing: false });
  schedule();
  return result;
}

function schedule() {
  clearTimeout(timer);
  if (!owner || state.stopped === "auth") return;
  if (state.waiting > state.refused || failures > 0) {
    timer = setTimeout(flush, failures ? backoff(failures) : TIMER_MS);
  }
}

/** Queues a check-in (with a new UUID) and tries to send it at once. */
export async function queue(entry) {
  const item = { ...newItem(entry, { id: crypto.randomUUID() }), owner };
  await outboxStore.put(item);
  emit(await counts());
  return item;
}

/** The check-ins the server refused, oldest first, for the patient to fix or discard. */
export async function refusedItems() {
  return (await mine.all())
    .filter(isRefused)
    .sort((a, b) => (a.queued_at < b.queued_at ? -1 : 1));
}

/** Deletes a refused check-in from this device (the patient chose to). */
export async function discard(id) {
  const item = (await mine.all()).find((i) => i.id === id);
  if (item) await outboxStore.remove(id);
  emit(await counts());
}

/** Replaces a refused check-in's values with the patient's corrections and sends it again. */
export async function resend(id, values) {
  const item = (await mine.all()).find((i) => i.id === id);
  if (!item) return null;
  await outboxStore.put(revised(item, values, { now: isoWithOffset(new Date()) }));
  emit(await counts());
  return flush();
}

export async function isWaiting(id) {
  return (await mine.all()).some((item) => item.id === id);
}

export const waitingItems = () => mine.all();

export async function refreshCount() {
  if (!owner) return 0;
  const now = await counts();
  emit(now);
  return now.waiting;
}

/** Makes `user` the owner of new check-ins and counts theirs, without sending anything yet. */
export async function adopt(user) {
  owner = user.id;
  return refreshCount();
}

/** Starts syncing for `user` (after sign-in or a restored session). */
export async function start(user) {
  owner = user.id;
  failures = 0;
  emit({ stopped: null });
  await refreshCount();
  return flush();
}

export function stop() {
  owner = null;
  clearTimeout(timer);
  emit({ waiting: 0, refused: 0, stopped: null, syncing: false });
}

globalThis.addEventListener?.("online", () => {
  failures = 0;
  flush();
});
