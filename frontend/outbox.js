// The check-in outbox: entries made on this device, kept until the server confirms them.
// DOM-free: the store (IndexedDB in the app, a Map in the tests) and the sender (fetch in
// the app) are passed in, so `node --test` exercises the whole sync logic.

/** Oldest first, so the server sees check-ins in the order they were made. */
export function syncOrder(items) {
  return [...items].sort(
    (a, b) =>
      (a.queued_at < b.queued_at ? -1 : a.queued_at > b.queued_at ? 1 : 0) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/** The content fields of a queued entry, as the server takes them. */
export function entryBody(item) {
  const e = item.entry;
  return {
    felt_at: e.felt_at,
    pain: e.pain,
    soreness: e.soreness,
    bruising: e.bruising,
    iced: e.iced,
    heated: e.heated,
    strenuous_activity: e.strenuous_activity,
    notes: e.notes,
  };
}

/** A new outbox item for a check-in; `id` is the entry's UUID, chosen here once. */
export function newItem(entry, { id, now = new Date() }) {
  return { id, queued_at: now.toISOString(), attempts: 0, last_error: null, entry: { ...entry } };
}

// ----------------------------------------------------------------------------- refusals

/**
 * An item the server refused (invalid content, or an id that is not ours) waits for the
 * patient, who sees why and either edits and resends it or discards it: sending the same
 * content again cannot help, so flushes skip it until then.
 */
export const isRefused = (item) => Boolean(item.refused);

/** The items a flush sends: everything but the refused. */
export const sendable = (items) => items.filter((item) => !isRefused(item));

function refusedMark(item, { status, fields }) {
  return {
    ...item,
    attempts: item.attempts + 1,
    last_error: refusalText({ status, fields }),
    refused: { status: String(status), fields: fields && typeof fields === "object" ? fields : {} },
  };
}

/** Why the server refused an item, in short (e.g. "invalid: pain"). */
function refusalText({ status, fields }) {
  const names = Object.keys(fields || {});
  return names.length ? `${status}: ${names.join(", ")}` : String(status);
}

/**
 * The item with the patient's corrected values, ready to be sent again. Its time stays
 * when it was made unless the server refused the time itself (a phone clock set wrong):
 * then it is stamped `now` (an ISO string with offset).
 */
export function revised(item, values, { now }) {
  const timeRefused = Boolean(item.refused?.fields?.felt_at);
  const entry = { ...item.entry, ...values, felt_at: timeRefused ? now : item.entry.felt_at };
  const { refused: _refused, ...rest } = item;
  return { ...rest, entry, attempts: 0, last_error: null };
}

// ----------------------------------------------------------------------------- sending

/**
 * Single-flight wrapper: while a flush runs, further calls wait for it and then run once
 * more (something may have been queued meanwhile), instead of sending the same items twice.
 */
export function singleFlight(run) {
  let running = null;
  let again = false;
  const start = () => {
    running = (async () => {
      let result;
      do {
        again = false;
        result = await run();
      } while (again && !result.stopped);
      return result;
    })().finally(() => {
      running = null;
    });
    return running;
  };
  return () => {
    if (running) {
      again = true;
      return running;
    }
    return start();
  };
}

/** Retry delay after `failures` consecutive failed flushes: 5 s doubling to 5 min. */
export function backoff(failures) {
  return Math.min(5_000 * 2 ** Math.max(0, failures - 1), 300_000);
}

/** Entries per POST /entries/sync/ (the server takes up to 500). */
export const BATCH_SIZE = 500;

/**
 * What each per-entry result status of POST /entries/sync/ means for the queued item:
 * - "done": the server holds a version of this id: removing it loses nothing.
 * - "rejected": refused (invalid content, or an id that is not ours): kept, marked, skipped.
 * A status missing here (one this client does not know) means "retry": kept for later.
 * Keyed by the API's enum; tests/js/labels.test.mjs holds the two equal.
 */
export const SYNC_RESULT_OUTCOMES = {
  created: "done",
  unchanged: "done",
  updated: "done",
  conflict: "done",
  version_mismatch: "done",
  deleted: "done",
  not_found: "rejected",
  invalid: "rejected",
};

const known = (status) => Object.prototype.hasOwnProperty.call(SYNC_RESULT_OUTCOMES, status);

export function classifyResult(status) {
  return known(status) ? SYNC_RESULT_OUTCOMES[status] : "retry";
}

/** The body of POST /entries/sync/ for some queued items (each with its id). */
export function batchBody(items) {
  return { entries: items.map((item) => ({ id: item.id, ...entryBody(item) })) };
}

const mark = (store, item, error) =>
  store.put({ ...item, attempts: item.attempts + 1, last_error: error });

/**
 * Sends the outbox in batches of `batchSize`, oldest first, skipping refused items. `store`
 * has all() / remove(id) / put(item); `sendBatch(items)` resolves to {status, body} for
 * POST /entries/sync/, rejects with a network error, or rejects with an error whose
 * `sessionExpired` is true. Each item is removed only when its own result says the server
 * holds it. Stops at a network failure (the rest would fail too) or at an ended session.
 * Returns {sent, remaining, rejected, stopped}; `remaining` counts refused items too.
 */
export async function flushBatches({ store, sendBatch, batchSize = BATCH_SIZE }) {
  const items = syncOrder(sendable(await store.all()));
  const chunks = [];
  for (let start = 0; start < items.length; start += batchSize) {
    chunks.push(items.slice(start, start + batchSize));
  }
  let sent = 0;
  let rejected = 0;
  let stopped = null;
  while (chunks.length && !stopped) {
    const chunk = chunks.shift();
    let answer;
    try {
      answer = await sendBatch(chunk);
    } catch (error) {
      stopped = error?.sessionExpired ? "auth" : "network";
      for (const item of chunk) await mark(store, item, stopped);
      break;
    }
    const { status, body } = answer;
    if (status === 413 && chunk.length > 1) {
      // Larger than the server takes in one request (its limit is set lower than a full
      // batch of the longest notes): send each half on its own, in order.
      const half = Math.ceil(chunk.length / 2);
      chunks.unshift(chunk.slice(0, half), chunk.slice(half));
      continue;
    }
    const results = status === 200 ? body?.results : null;
    if (Array.isArray(results) && results.length === chunk.length) {
      for (const [index, item] of chunk.entries()) {
        const result = results[index];
        const outcome = result?.id === item.id ? classifyResult(result.status) : "retry";
        if (outcome === "done") {
          await store.remove(item.id);
          sent += 1;
        } else if (outcome === "rejected") {
          rejected += 1;
          await store.put(refusedMark(item, result));
        } else {
          stopped = "retry";
          await mark(store, item, `unexpected result ${refusalText(result ?? {})}`);
        }
      }
      continue;
    }
    // The batch as a whole was not taken. Never read a batch-level 2xx/409/412 as "done".
    const outcome = status === 401 ? "auth" : [400, 413, 422].includes(status) ? "rejected" : "retry";
    for (const item of chunk) await mark(store, item, `HTTP ${status}`);
    if (outcome === "rejected") rejected += chunk.length;
    else stopped = outcome;
  }
  const remaining = (await store.all()).length;
  return { sent, remaining, rejected, stopped };
}
