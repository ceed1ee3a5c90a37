// A small promise wrapper over IndexedDB: one database, two stores.
//   outbox: check-ins waiting for the server (keyPath "id", the entry's UUID)
//   meta:   who is signed in on this device (profile only; never a token)

const NAME = "relief";
const VERSION = 1;
let opening = null;

function promisify(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains("outbox")) {
          db.createObjectStore("outbox", { keyPath: "id" });
        }
        if (!db.objectStoreNames.contains("meta")) {
          db.createObjectStore("meta", { keyPath: "key" });
        }
      };
      request.onsuccess = () => {
        const db = request.result;
        // Another tab deleting the database (sign-out) must not be blocked by us.
        db.onversionchange = () => {
          db.close();
          opening = null;
        };
        resolve(db);
      };
      request.onerror = () => {
        opening = null;
        reject(request.error);
      };
    });
  }
  return opening;
}

async function run(storeName, mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, mode);
    const result = fn(tx.objectStore(storeName));
    tx.oncomplete = () => resolve(result instanceof IDBRequest ? result.result : result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
  });
}

export const outboxStore = {
  all: () => run("outbox", "readonly", (s) => s.getAll()),
  put: (item) => run("outbox", "readwrite", (s) => s.put(item)),
  remove: (id) => run("outbox", "readwrite", (s) => s.delete(id)),
  count: () => run("outbox", "readonly", (s) => s.count()),
};

export async function getMeta(key) {
  const row = await run("meta", "readonly", (s) => s.get(key));
  return row ? row.value : undefined;
}

export const setMeta = (key, value) => run("meta", "readwrite", (s) => s.put({ key, value }));

/** Deletes the whole database (sign-out). Resolves once it is gone. */
export async function destroy() {
  if (opening) {
    const db = await opening.catch(() => null);
    db?.close();
    opening = null;
  }
  await promisify(indexedDB.deleteDatabase(NAME));
}

export { promisify };
