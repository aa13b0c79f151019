// The last session, kept in IndexedDB (module folders with generated
// Kubernetes schemas outgrow localStorage's few megabytes).

const DB = 'ferry-preview';
const STORE = 'session';

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function run(mode, fn) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** The saved session, or undefined. */
export async function loadSession() {
  try {
    return await run('readonly', (s) => s.get('last'));
  } catch {
    return undefined;
  }
}

/** Saves the session (a structured-cloneable object). */
export function saveSession(session) {
  return run('readwrite', (s) => s.put(session, 'last')).catch(() => {});
}

/** Forgets the saved session. */
export function clearSession() {
  return run('readwrite', (s) => s.delete('last')).catch(() => {});
}
