// @ts-check
// Our IndexedDB store: a minimal promise wrapper, shared by the pages and the service worker.
const DB_NAME = "nomad";
const DB_VERSION = 3;

let opening = null;

export function openDb() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = (event) => {
        const db = request.result;
        if (event.oldVersion < 1) {
          // Every write waiting to reach the server, oldest first by "seq".
          const outbox = db.createObjectStore("outbox", { keyPath: "id" });
          outbox.createIndex("seq", "seq");
          outbox.createIndex("visit", "visitId");
          db.createObjectStore("prepared", { keyPath: "visitId" });
          db.createObjectStore("meta", { keyPath: "key" });
        }
        if (event.oldVersion < 2) {
          // The sale made on the tablet, per visit (its models, ids and references), and
          // the server's answers to the writes that reached it (numbers, document links).
          db.createObjectStore("sales", { keyPath: "visitId" });
          db.createObjectStore("results", { keyPath: "id" });
          // Visits created on this tablet (their pages are the prepared blank ones).
          db.createObjectStore("walkins", { keyPath: "uuid" });
        }
        if (event.oldVersion < 3) {
          // What is typed in a step and not submitted yet, kept as it is typed: a reload,
          // a killed tab or a restarted browser loses nothing. Never sent by itself.
          db.createObjectStore("drafts", { keyPath: "key" });
        }
      };
      request.onsuccess = () => {
        const db = request.result;
        db.onversionchange = () => { db.close(); opening = null; };
        resolve(db);
      };
      request.onerror = () => { opening = null; reject(request.error); };
      request.onblocked = () => reject(new Error("IndexedDB blocked"));
    });
  }
  return opening;
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export async function tx(store, mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(store, mode);
    let result;
    Promise.resolve(work(transaction.objectStore(store), done)).then((value) => { result = value; }, reject);
    transaction.oncomplete = () => resolve(result);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error || new Error("aborted"));
  });
}

// Several stores written in one transaction: all of it or nothing, and one commit instead
// of one per write. work(stores, done) gets the object stores by name.
export async function txMany(names, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(names, "readwrite");
    const stores = Object.fromEntries(names.map((name) => [name, transaction.objectStore(name)]));
    let result;
    Promise.resolve(work(stores, done)).then((value) => { result = value; }, (error) => {
      try {
        transaction.abort();
      } catch (abortError) {
        console.warn("store: transaction already finished", abortError);
      }
      reject(error);
    });
    transaction.oncomplete = () => resolve(result);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error || new Error("aborted"));
  });
}

export const put = (store, value) => tx(store, "readwrite", (s, d) => d(s.put(value)));
export const get = (store, key) => tx(store, "readonly", (s, d) => d(s.get(key)));
export const del = (store, key) => tx(store, "readwrite", (s, d) => d(s.delete(key)));
export const all = (store) => tx(store, "readonly", (s, d) => d(s.getAll()));
export const allBy = (store, index, value) => tx(store, "readonly", (s, d) => d(s.index(index).getAll(value)));

// A visit's key on the device: its number on the server, or the id the tablet gave it.
export function visitKey(value) {
  return /^\d+$/.test(String(value)) ? Number(value) : String(value);
}

export async function getMeta(key, fallback = null) {
  const row = await get("meta", key);
  return row ? row.value : fallback;
}

export const setMeta = (key, value) => put("meta", { key, value });

export async function wipe() {
  if (opening) {
    (await opening).close();
    opening = null;
  }
  await done(indexedDB.deleteDatabase(DB_NAME));
}
