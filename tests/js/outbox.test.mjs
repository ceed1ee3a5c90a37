// The outbox's sync rules, without a browser: ordering, what each answer means, and that
// nothing is removed before the server holds it.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  backoff,
  classify,
  entryBody,
  flushOnce,
  newItem,
  singleFlight,
  syncOrder,
} from "../../frontend/outbox.js";

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

test("sync order is oldest first, ties broken by id", () => {
  const items = [item("c", "2026-03-01T10:00:00Z"), item("b", "2026-03-01T09:00:00Z"),
    item("a", "2026-03-01T10:00:00Z")];
  assert.deepEqual(syncOrder(items).map((i) => i.id), ["b", "a", "c"]);
});

test("only 2xx, 409 and 412 let an item go", () => {
  assert.equal(classify(201), "done");
  assert.equal(classify(200), "done");
  assert.equal(classify(409), "done");
  assert.equal(classify(412), "done");
  assert.equal(classify(401), "auth");
  assert.equal(classify(400), "rejected");
  assert.equal(classify(500), "retry");
  assert.equal(classify(503), "retry");
  assert.equal(classify(429), "retry");
});

test("the PUT body carries the content fields only", () => {
  assert.deepEqual(entryBody(item("a", "2026-03-01T10:00:00Z")), entry);
});

test("a flush sends everything in order and empties the store", async () => {
  const store = memoryStore([item("2", "2026-03-01T10:00:00Z"), item("1", "2026-03-01T09:00:00Z")]);
  const sent = [];
  const result = await flushOnce({ store, send: async (i) => (sent.push(i.id), 201) });
  assert.deepEqual(sent, ["1", "2"]);
  assert.deepEqual(result, { sent: 2, remaining: 0, rejected: 0, stopped: null });
  assert.equal(store.map.size, 0);
});

test("a network failure keeps the item and the rest, and stops", async () => {
  const store = memoryStore([item("1", "2026-03-01T09:00:00Z"), item("2", "2026-03-01T10:00:00Z"),
    item("3", "2026-03-01T11:00:00Z")]);
  let calls = 0;
  const result = await flushOnce({
    store,
    send: async () => {
      calls += 1;
      if (calls === 2) throw new TypeError("Failed to fetch");
      return 201;
    },
  });
  assert.equal(calls, 2);
  assert.deepEqual(result, { sent: 1, remaining: 2, rejected: 0, stopped: "network" });
  assert.deepEqual([...store.map.keys()].sort(), ["2", "3"]);
  assert.equal(store.map.get("2").attempts, 1);
});

test("a replayed or conflicting id is removed: the server holds a version", async () => {
  const store = memoryStore([item("1", "2026-03-01T09:00:00Z"), item("2", "2026-03-01T10:00:00Z")]);
  const result = await flushOnce({ store, send: async (i) => (i.id === "1" ? 409 : 412) });
  assert.equal(result.remaining, 0);
});

test("an ended session keeps the whole outbox", async () => {
  const store = memoryStore([item("1", "2026-03-01T09:00:00Z"), item("2", "2026-03-01T10:00:00Z")]);
  const expired = Object.assign(new Error("session"), { sessionExpired: true });
  const result = await flushOnce({ store, send: async () => { throw expired; } });
  assert.equal(result.stopped, "auth");
  assert.equal(store.map.size, 2);
});

test("a refused item is kept but does not block the next one", async () => {
  const store = memoryStore([item("1", "2026-03-01T09:00:00Z"), item("2", "2026-03-01T10:00:00Z")]);
  const result = await flushOnce({ store, send: async (i) => (i.id === "1" ? 400 : 201) });
  assert.deepEqual(result, { sent: 1, remaining: 1, rejected: 1, stopped: null });
  assert.equal(store.map.get("1").last_error, "HTTP 400");
});

test("a server error stops the flush and keeps the items", async () => {
  const store = memoryStore([item("1", "2026-03-01T09:00:00Z"), item("2", "2026-03-01T10:00:00Z")]);
  const result = await flushOnce({ store, send: async () => 503 });
  assert.deepEqual(result, { sent: 0, remaining: 2, rejected: 0, stopped: "retry" });
});

test("concurrent flushes never send an item twice", async () => {
  const store = memoryStore([item("1", "2026-03-01T09:00:00Z"), item("2", "2026-03-01T10:00:00Z")]);
  const sent = [];
  const flush = singleFlight(() =>
    flushOnce({
      store,
      send: async (i) => {
        sent.push(i.id);
        await new Promise((r) => setTimeout(r, 5));
        return 201;
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
    flushOnce({
      store,
      send: async (i) => {
        sent.push(i.id);
        if (i.id === "1") await store.put(item("2", "2026-03-01T10:00:00Z"));
        return 201;
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
