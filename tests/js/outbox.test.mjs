// The outbox's sync rules, without a browser: ordering, what each answer means, and that
// nothing is removed before the server holds it.
import "./i18n-setup.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  backoff,
  batchBody,
  classifyResult,
  entryBody,
  flushBatches,
  newItem,
  revised,
  sendable,
  singleFlight,
  syncOrder,
} from "../../frontend/outbox.js";
import { refusalMessages } from "../../frontend/format.js";

function memoryStore(items) {
  const map = new Map(items.map((i) => [i.id, i]));
  return {
    map,
    all: async () => [...map.values()],
    put: async (item) => void map.set(item.id, item),
    remove: async (id) => void map.delete(id),
  };
}

const entry = { felt_at: "2026-03-01T09:30:00+01:00", pain: 3, soreness: 2, bruising: "none",
  iced: true, heated: false, strenuous_activity: false, notes: "" };

function item(id, queuedAt) {
  return newItem(entry, { id, now: new Date(queuedAt) });
}

/** A 200 from POST /entries/sync/ with one result per item (the last status repeated). */
const answer = (items, statuses) => ({
  status: 200,
  body: { results: items.map((i, n) => ({ id: i.id, status: statuses[n] ?? statuses[0] })) },
});

test("sync order is oldest first, ties broken by id", () => {
  const items = [item("c", "2026-03-01T10:00:00Z"), item("b", "2026-03-01T09:00:00Z"),
    item("a", "2026-03-01T10:00:00Z")];
  assert.deepEqual(syncOrder(items).map((i) => i.id), ["b", "a", "c"]);
});

test("an entry's body carries the content fields only", () => {
  assert.deepEqual(entryBody(item("a", "2026-03-01T10:00:00Z")), entry);
});

test("concurrent flushes never send an item twice", async () => {
  const store = memoryStore([item("1", "2026-03-01T09:00:00Z"), item("2", "2026-03-01T10:00:00Z")]);
  const sent = [];
  const flush = singleFlight(() =>
    flushBatches({
      store,
      sendBatch: async (items) => {
        sent.push(...items.map((i) => i.id));
        await new Promise((r) => setTimeout(r, 5));
        return answer(items, ["created"]);
      },
    }),
  );
  const results = await Promise.all([flush(), flush(), flush()]);
  assert.deepEqual(sent, ["1", "2"]);
  assert.ok(results.every((r) => r.remaining === 0));
});

test("an item queued during a flush is sent by the follow-up run", async () => {
  const store = memoryStore([item("1", "2026-03-01T09:00:00Z")]);
  const sent = [];
  const flush = singleFlight(() =>
    flushBatches({
      store,
      sendBatch: async (items) => {
        sent.push(...items.map((i) => i.id));
        if (items[0].id === "1") await store.put(item("2", "2026-03-01T10:00:00Z"));
        return answer(items, ["created"]);
      },
    }),
  );
  const first = flush();
  const second = flush();
  await Promise.all([first, second]);
  assert.deepEqual(sent, ["1", "2"]);
  assert.equal(store.map.size, 0);
});

test("backoff doubles from 5 s up to 5 minutes", () => {
  assert.equal(backoff(1), 5000);
  assert.equal(backoff(2), 10000);
  assert.equal(backoff(3), 20000);
  assert.equal(backoff(20), 300000);
});

// --- batches: POST /api/v1/entries/sync/ ------------------------------------------------

test("the batch body carries each item's id and content fields", () => {
  const one = item("a", "2026-03-01T10:00:00Z");
  assert.deepEqual(batchBody([one]), { entries: [{ id: "a", ...entry }] });
});

test("every result that means the server holds the id lets the item go", () => {
  for (const status of ["created", "unchanged", "updated", "conflict", "version_mismatch", "deleted"]) {
    assert.equal(classifyResult(status), "done", status);
  }
  assert.equal(classifyResult("invalid"), "rejected");
  assert.equal(classifyResult("not_found"), "rejected");
  assert.equal(classifyResult("something new"), "retry");
});

test("a batch flush sends everything in one request, oldest first, and empties the store", async () => {
  const store = memoryStore([item("2", "2026-03-01T10:00:00Z"), item("1", "2026-03-01T09:00:00Z")]);
  const batches = [];
  const result = await flushBatches({
    store,
    sendBatch: async (items) => (batches.push(items.map((i) => i.id)), answer(items, ["created", "unchanged"])),
  });
  assert.deepEqual(batches, [["1", "2"]]);
  assert.deepEqual(result, { sent: 2, remaining: 0, rejected: 0, stopped: null });
  assert.equal(store.map.size, 0);
});

test("invalid results are kept and marked, the others removed", async () => {
  const store = memoryStore([item("1", "2026-03-01T09:00:00Z"), item("2", "2026-03-01T10:00:00Z"),
    item("3", "2026-03-01T11:00:00Z")]);
  const result = await flushBatches({
    store,
    sendBatch: async (items) => ({
      status: 200,
      body: { results: [
        { id: "1", status: "created", version: 1 },
        { id: "2", status: "invalid", fields: { pain: ["Too high."], felt_at: ["Naive."] } },
        { id: "3", status: "conflict", version: 2, entry: {} },
      ] },
    }),
  });
  assert.deepEqual(result, { sent: 2, remaining: 1, rejected: 1, stopped: null });
  assert.deepEqual([...store.map.keys()], ["2"]);
  assert.equal(store.map.get("2").last_error, "invalid: pain, felt_at");
  assert.equal(store.map.get("2").attempts, 1);
});

test("large outboxes go in several batches", async () => {
  const items = Array.from({ length: 7 }, (_, n) => item(`id-${n}`, `2026-03-01T0${n}:00:00Z`));
  const store = memoryStore(items);
  const sizes = [];
  const result = await flushBatches({
    store,
    batchSize: 3,
    sendBatch: async (chunk) => (sizes.push(chunk.length), answer(chunk, ["created"])),
  });
  assert.deepEqual(sizes, [3, 3, 1]);
  assert.equal(result.remaining, 0);
});

test("a lost batch keeps every item; a server error and an ended session stop", async () => {
  for (const [failure, stopped] of [
    [() => { throw new TypeError("Failed to fetch"); }, "network"],
    [() => { throw Object.assign(new Error("session"), { sessionExpired: true }); }, "auth"],
    [() => ({ status: 503, body: null }), "retry"],
    [() => ({ status: 401, body: null }), "auth"],
    // A batch-level 409 or a 200 without per-entry results must never count as delivered.
    [() => ({ status: 409, body: { code: "conflict" } }), "retry"],
    [() => ({ status: 200, body: {} }), "retry"],
    // The endpoint is always there: a 404 or 405 is kept for a retry, never sent some other way.
    [() => ({ status: 404, body: null }), "retry"],
    [() => ({ status: 405, body: null }), "retry"],
  ]) {
    const store = memoryStore([item("1", "2026-03-01T09:00:00Z"), item("2", "2026-03-01T10:00:00Z")]);
    const result = await flushBatches({ store, sendBatch: async () => failure() });
    assert.equal(result.stopped, stopped);
    assert.equal(store.map.size, 2);
  }
});

test("a result for another id is not taken as this item's", async () => {
  const store = memoryStore([item("1", "2026-03-01T09:00:00Z")]);
  const result = await flushBatches({
    store,
    sendBatch: async () => ({ status: 200, body: { results: [{ id: "9", status: "created" }] } }),
  });
  assert.equal(result.stopped, "retry");
  assert.equal(store.map.size, 1);
});

// ----------------------------------------------------------------------------- refusals

function refusedBatch(fields) {
  return async (items) => ({
    status: 200,
    body: { results: items.map((i) => ({ id: i.id, status: "invalid", fields })) },
  });
}

test("a refused item keeps the server's reasons and is not sent again", async () => {
  const store = memoryStore([item("1", "2026-03-01T09:00:00Z")]);
  const fields = { felt_at: ["Cannot be more than 10 minutes in the future."] };
  await flushBatches({ store, sendBatch: refusedBatch(fields) });
  assert.deepEqual(store.map.get("1").refused, { status: "invalid", fields });
  assert.deepEqual(refusalMessages(store.map.get("1")), [
    "Its time is later than now: this phone's clock may be set wrong.",
  ]);
  let sent = 0;
  const again = await flushBatches({
    store,
    sendBatch: async (items) => {
      sent += items.length;
      return { status: 200, body: { results: [] } };
    },
  });
  assert.equal(sent, 0);
  assert.deepEqual(again, { sent: 0, remaining: 1, rejected: 0, stopped: null });
  assert.deepEqual(sendable(await store.all()), []);
});

test("a refusal is said in the patient's words, never the validator's", () => {
  const refused = (fields) => ({
    ...item("1", "2026-03-01T09:00:00Z"),
    refused: { status: "invalid", fields },
  });
  assert.deepEqual(
    refusalMessages(
      refused({
        pain: ["Ensure this value is less than or equal to 10."],
        soreness: ["A valid integer is required.", "This field is required."],
        bruising: ['"huge" is not a valid choice.'],
        notes: ["Ensure this field has no more than 5000 characters."],
        felt_at: ["Must be after 2000-01-01."],
        iced: ["Must be a valid boolean."],
        __all__: ["Constraint “entry_pain_range” is violated."],
      }),
    ),
    [
      "Pain must be a whole number from 0 to 10.",
      "Soreness must be a whole number from 0 to 10.",
      "Bruising must be none, small or large.",
      "The notes are too long: they can be up to 5,000 characters.",
      "Its date is too long ago: this phone's clock may be set wrong.",
      "The answer to “Used ice” could not be read.",
      "Part of this check-in was not accepted. Correct it and send it again.",
    ],
  );
  assert.deepEqual(refusalMessages(refused({ notes: ["Null characters are not allowed."] })), [
    "The notes contain a hidden character that cannot be saved. Retype them.",
  ]);
});

test("a refusal without field errors still explains itself", () => {
  const refused = (status) => ({ ...item("1", "2026-03-01T09:00:00Z"), refused: { status, fields: {} } });
  assert.match(refusalMessages(refused("not_found"))[0], /does not accept this check-in/);
  assert.match(refusalMessages(refused("HTTP 422"))[0], /did not accept/);
  assert.deepEqual(refusalMessages(item("2", "2026-03-01T09:00:00Z")), []);
});

test("a corrected item is sendable again, its time kept unless the time was refused", () => {
  const base = item("1", "2026-03-01T09:00:00Z");
  const notesRefused = { ...base, attempts: 2, refused: { status: "invalid", fields: { notes: ["x"] } } };
  const fixed = revised(notesRefused, { pain: 5, notes: "ok" }, { now: "2026-03-02T08:00:00+01:00" });
  assert.equal(fixed.refused, undefined);
  assert.deepEqual(sendable([fixed]), [fixed]);
  assert.deepEqual([fixed.entry.pain, fixed.entry.notes, fixed.entry.felt_at], [5, "ok", entry.felt_at]);
  assert.deepEqual([fixed.id, fixed.attempts, fixed.last_error], ["1", 0, null]);
  const clock = { ...base, refused: { status: "invalid", fields: { felt_at: ["future"] } } };
  assert.equal(revised(clock, {}, { now: "2026-03-02T08:00:00+01:00" }).entry.felt_at,
    "2026-03-02T08:00:00+01:00");
});

test("a batch the server finds too large (413) is split in halves until each fits", async () => {
  const items = Array.from({ length: 5 }, (_, n) => item(`id-${n}`, `2026-03-01T0${n}:00:00Z`));
  const store = memoryStore(items);
  const sizes = [];
  const result = await flushBatches({
    store,
    sendBatch: async (chunk) => {
      sizes.push(chunk.length);
      return chunk.length > 2 ? { status: 413, body: { code: "request_too_large" } } : answer(chunk, ["created"]);
    },
  });
  // 5 → 3 (too large) → 2 + 1, then 2: oldest first throughout.
  assert.deepEqual(sizes, [5, 3, 2, 1, 2]);
  assert.deepEqual(result, { sent: 5, remaining: 0, rejected: 0, stopped: null });
  assert.equal(store.map.size, 0);
});

test("a single check-in the server finds too large is kept and marked, not lost", async () => {
  const store = memoryStore([item("big", "2026-03-01T09:00:00Z")]);
  const result = await flushBatches({
    store,
    sendBatch: async () => ({ status: 413, body: { code: "request_too_large" } }),
  });
  assert.deepEqual(result, { sent: 0, remaining: 1, rejected: 1, stopped: null });
  assert.equal(store.map.get("big").last_error, "HTTP 413");
});
