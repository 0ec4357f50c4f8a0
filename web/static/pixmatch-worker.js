// pixmatch-worker.js — the Web Worker behind pixmatch.js. It runs the
// pixmatch WebAssembly module (Go's wasm_exec.js + pixmatch.wasm), holds
// the synced copy of one gallery, keeps it in IndexedDB, fetches changes
// from the server's sync API, and reads the pixels of the pictures it is
// handed.
//
// Messages in:  {id, op, args}, op one of open, sync, fingerprint, search,
//               features, query, info, reset; and {op: 'setToken', args:
//               {token}} (no reply).
// Messages out: {id, result} or {id, error: {name, message, code, status,
//               statusCode}}.
'use strict';

/** IndexedDB database, object store and schema version of saved galleries. */
const DB_NAME = 'pixmatch';
const DB_STORE = 'galleries';
const DB_VERSION = 1;

/** How long the module may take to publish itself after it starts, in ms. */
const READY_TIMEOUT = 10_000;

/** @type {{base: string, appId: string, token: string}|null} */
let config = null;
/** globalThis.pixmatchModule once the module runs. */
let mod = null;
/** Resolves to the open database, or to null where IndexedDB is unavailable. */
let dbPromise = null;
/** Work that changes the held gallery runs one at a time on this chain. */
let chain = Promise.resolve();
/** The canvas pixels are read from, made on first use. */
let canvas = null;
let ctx = null;

self.onmessage = (event) => {
  const { id, op, args } = event.data || {};
  if (op === 'setToken') {
    if (config) config.token = String(args.token || '');
    return;
  }
  handle(op, args || {}).then(
    (result) => self.postMessage({ id, result }),
    (err) => self.postMessage({ id, error: describe(err) }),
  );
};

/** The operations the page may ask for. */
const ops = {
  open,
  sync: () => exclusive(sync),
  reset: () => exclusive(reset),
  info: () => call('info'),
  fingerprint: ({ picture, kind }) => {
    const { data, width, height } = pixels(picture);
    return call('fingerprint', data, width, height, kind || 'query');
  },
  search: ({ picture, options }) => {
    const started = performance.now();
    const { data, width, height } = pixels(picture);
    const read = performance.now() - started;
    const found = call('search', data, width, height, options || {});
    return {
      matches: plain(found),
      ms: { decode: read, fingerprint: found.ms.fingerprint, search: found.ms.search },
    };
  },
  features: ({ picture }) => {
    const started = performance.now();
    const { data, width, height } = pixels(picture);
    const read = performance.now() - started;
    const q = call('features', data, width, height);
    return { ...q, ms: { decode: read, ...q.ms } };
  },
  // The picture read once: its query for the server, and the held
  // gallery searched with the query's fingerprint or, when asked, with
  // both the fingerprint and the features (every held feature record
  // verified: the matches it places carry corners).
  query: ({ picture, options }) => {
    const started = performance.now();
    const { data, width, height } = pixels(picture);
    const read = performance.now() - started;
    const { features: withFeatures, ...opts } = options || {};
    const q = call('features', data, width, height);
    const found = localSearch(q, opts, withFeatures);
    return {
      matches: found ? plain(found) : [],
      query: { features: q.features, fingerprint: q.fingerprint, width: q.width, height: q.height, count: q.count },
      ms: { decode: read, ...q.ms, search: found ? found.ms.search : 0, verify: found ? found.ms.verify || 0 : 0 },
    };
  },
};

/**
 * Searches the held gallery with a query the module made: with its
 * features and fingerprint when withFeatures (and the module can), else
 * with its fingerprint alone; null when there is nothing to search with.
 */
function localSearch(q, opts, withFeatures) {
  if (withFeatures) {
    try {
      return call('searchFeatures', q.features, q.fingerprint, opts);
    } catch (err) {
      if (err.code !== 'unsupported') throw err;
    }
  }
  return q.fingerprint ? call('searchFingerprint', q.fingerprint, opts) : null;
}

/** Returns the module's matches as plain objects, for postMessage. */
function plain(found) {
  return Array.from(found, (m) => {
    const out = { seq: m.seq, name: m.name, distance: m.distance, score: m.score };
    if (m.corners) out.corners = Array.from(m.corners, (c) => ({ x: c.x, y: c.y }));
    return out;
  });
}

async function handle(op, args) {
  try {
    if (!Object.hasOwn(ops, op)) throw new Error(`pixmatch worker: unknown operation ${op}`);
    if (op !== 'open' && !mod) throw new Error('pixmatch worker: the module is not open');
    return await ops[op](args);
  } finally {
    args.picture?.bitmap?.close(); // a transferred picture is ours to free, used or not
  }
}

/** Runs fn after every earlier exclusive task, so syncs and resets never interleave. */
function exclusive(fn) {
  const run = chain.then(fn);
  chain = run.catch(() => {});
  return run;
}

/**
 * Calls the module's function name. The module throws its Errors, or
 * returns them where the page forbids it to make throwing functions; a
 * function the module lacks is an Error of code 'unsupported'.
 */
function call(name, ...args) {
  if (typeof mod[name] !== 'function') {
    // A page newer than the module it got (a cached copy): let it fall back.
    const err = new Error(`pixmatch: this module has no ${name}()`);
    err.code = 'unsupported';
    throw err;
  }
  const result = mod[name](...args);
  if (result instanceof Error) throw result;
  return result;
}

/**
 * Loads wasm_exec.js and the module, then restores the gallery saved for
 * appId. Returns info().
 */
async function open({ base, appId, token, wasmURL, execURL }) {
  if (mod) throw new Error('pixmatch worker: already open');
  config = { base: String(base).replace(/\/+$/, ''), appId: String(appId), token: String(token || '') };
  importScripts(execURL);
  const go = new self.Go();
  const instance = await instantiate(wasmURL, go.importObject);
  let exited = null;
  go.run(instance).then(
    () => (exited = new Error('pixmatch: the module stopped')),
    (err) => (exited = err),
  );
  const deadline = performance.now() + READY_TIMEOUT;
  while (!self.pixmatchModule) {
    if (exited) throw exited;
    if (performance.now() > deadline) throw new Error('pixmatch: the module did not start');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  mod = self.pixmatchModule;
  await restore();
  return call('info');
}

/** Compiles and instantiates the module, streaming when the server allows. */
async function instantiate(url, imports) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`pixmatch: loading ${url}: HTTP ${res.status}`);
  if (WebAssembly.instantiateStreaming && /^application\/wasm\b/.test(res.headers.get('Content-Type') || '')) {
    return (await WebAssembly.instantiateStreaming(res, imports)).instance;
  }
  return (await WebAssembly.instantiate(await res.arrayBuffer(), imports)).instance;
}

/** Applies the copy of the gallery saved in IndexedDB, if any. */
async function restore() {
  let saved;
  try {
    saved = await dbGet(config.appId);
  } catch (err) {
    console.warn('pixmatch: cannot read the saved gallery:', err);
    return;
  }
  if (!saved || !saved.snapshot) return;
  try {
    call('apply', saved.snapshot);
  } catch (err) {
    // Unreadable, or made by another fingerprint version: start afresh.
    console.warn('pixmatch: discarding the saved gallery:', err.message);
    call('reset');
    await dbDelete(config.appId);
  }
}

/**
 * Brings the held gallery up to date with one request when nothing
 * changed. A delta that does not follow the held version is answered by
 * fetching a snapshot; the held copy stays usable until it arrives.
 * Returns {version, count, changed} and saves the gallery when it changed.
 */
async function sync() {
  const before = call('info');
  const batch = await fetchBatch(before.version);
  if (!batch) return { version: before.version, count: before.count, changed: false };
  let after;
  let replaced = false;
  try {
    after = call('apply', batch);
  } catch (err) {
    if (!/^gap/.test(err.message) || before.version === 0) throw err;
    const snapshot = await fetchBatch(0);
    if (!snapshot) throw new Error('sync: the server sent no snapshot');
    call('reset');
    after = call('apply', snapshot);
    replaced = true;
  }
  const changed = replaced || after.version !== before.version || after.count !== before.count;
  if (changed) await save(after.version);
  return { version: after.version, count: after.count, changed };
}

/**
 * Asks the server for the changes since a version: a syncwire batch as a
 * Uint8Array, or null when nothing changed.
 */
async function fetchBatch(since) {
  const { base, appId, token } = config;
  const headers = { Authorization: token };
  if (since > 0) headers['If-None-Match'] = `"v${since}"`;
  const url = `${base}/sync/${encodeURIComponent(appId)}?since=${since}`;
  const res = await fetch(url, { headers, cache: 'no-store' });
  if (res.status === 304) return null;
  if (!res.ok) throw await responseError(res);
  return new Uint8Array(await res.arrayBuffer());
}

/** Returns the Error a failed response stands for, from its CRS envelope when it has one. */
async function responseError(res) {
  let message = `sync: HTTP ${res.status} ${res.statusText}`.trim();
  let statusCode;
  try {
    const body = await res.json();
    if (body && typeof body.statusCode === 'number') {
      statusCode = body.statusCode;
      if (body.result && body.result.message) message = String(body.result.message);
    }
  } catch {
    // not JSON: keep the HTTP status
  }
  const err = new Error(message);
  err.status = res.status;
  if (statusCode !== undefined) err.statusCode = statusCode;
  return err;
}

/** Forgets the held gallery and its saved copy. */
async function reset() {
  call('reset');
  await dbDelete(config.appId);
  return call('info');
}

/** Saves the held gallery for the next session. */
async function save(version) {
  const snapshot = call('exportState');
  try {
    await dbPut(config.appId, { version, snapshot, saved: Date.now() });
  } catch (err) {
    // The sync itself succeeded; the next session will sync from scratch.
    console.warn('pixmatch: cannot save the gallery:', err);
  }
}

/**
 * Returns {data, width, height}: the RGBA pixels of a picture sent by
 * pixmatch.js, either raw pixels or an ImageBitmap, which is drawn on an
 * OffscreenCanvas, read back and closed.
 */
function pixels(picture) {
  if (picture.data) return picture;
  const { bitmap } = picture;
  const { width, height } = bitmap;
  if (!canvas) {
    canvas = new OffscreenCanvas(width, height);
    ctx = canvas.getContext('2d', { willReadFrequently: true, colorSpace: 'srgb' });
  } else if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width; // resizing clears the canvas
    canvas.height = height;
  } else {
    ctx.clearRect(0, 0, width, height);
  }
  try {
    ctx.drawImage(bitmap, 0, 0);
  } finally {
    bitmap.close();
  }
  const image = ctx.getImageData(0, 0, width, height, { colorSpace: 'srgb' });
  return { data: image.data, width, height };
}

/** Returns what postMessage carries of an error. */
function describe(err) {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const out = { name: err.name, message: err.message };
  for (const key of ['code', 'status', 'statusCode']) {
    if (err[key] !== undefined) out[key] = err[key];
  }
  return out;
}

// IndexedDB: galleries keyed by appId, values {version, snapshot, saved}.
// Where IndexedDB is unavailable (some private modes), galleries are
// simply not saved.

function db() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve) => {
      if (!self.indexedDB) return resolve(null);
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => req.result.createObjectStore(DB_STORE);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => {
        console.warn('pixmatch: IndexedDB unavailable, the gallery will not be saved:', req.error);
        resolve(null);
      };
      req.onblocked = () => console.warn('pixmatch: IndexedDB upgrade blocked by another tab');
    });
  }
  return dbPromise;
}

/** Runs fn(store) in a transaction; resolves to the request's result once the transaction completes. */
async function withStore(mode, fn) {
  const d = await db();
  if (!d) return undefined;
  return new Promise((resolve, reject) => {
    const tx = d.transaction(DB_STORE, mode);
    const req = fn(tx.objectStore(DB_STORE));
    tx.oncomplete = () => resolve(req.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('pixmatch: IndexedDB transaction aborted'));
  });
}

const dbGet = (key) => withStore('readonly', (s) => s.get(key));
const dbPut = (key, value) => withStore('readwrite', (s) => s.put(value, key));
const dbDelete = (key) => withStore('readwrite', (s) => s.delete(key));
