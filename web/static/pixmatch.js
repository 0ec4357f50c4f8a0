// pixmatch.js — image recognition in the browser. Pixmatch runs the same
// Go matching code as the server, compiled to WebAssembly, in a Web Worker
// that keeps a synced copy of one gallery (saved in IndexedDB), so a
// picture is recognised without uploading it, offline too.
//
//   const pm = await Pixmatch.open({ base: location.origin, appId, token,
//     wasmURL: '/app/dist/pixmatch.wasm', execURL: '/app/dist/wasm_exec.js' });
//   await pm.sync();                     // {version, count, changed}
//   const { matches, ms } = await pm.search(fileOrBitmapOrVideo, { limit: 5 });
//   const { matches, query } = await pm.query(frame, { limit: 1 });
//   // query.features and query.fingerprint: what CRS POST /search/features takes
//   const offline = await pm.query(frame, { limit: 1, features: true });
//   // offline.matches[0].corners: where the print is, found in this browser
//
// The browser decodes and scales the picture (EXIF orientation applied,
// the longer side at most 1024 pixels); the worker reads its pixels and
// fingerprints and searches them.

/** The longest side, in pixels, of a picture handed to the module. */
export const MAX_SIDE = 1024;

/**
 * An error of the module, of the worker or of the sync API. code is the
 * module's ("gap", "version", "content", "filter", "argument", "format",
 * "closed"), "unsupported" for a function the loaded module lacks, or
 * "decode" for a Blob that does not decode as a picture;
 * status is the HTTP status and statusCode the CRS statusCode
 * of an error answered by the server.
 */
export class PixmatchError extends Error {
  /**
   * @param {string} message
   * @param {{code?: string, status?: number, statusCode?: number}} [details]
   */
  constructor(message, details = {}) {
    super(message);
    this.name = 'PixmatchError';
    for (const key of ['code', 'status', 'statusCode']) {
      if (details[key] !== undefined) this[key] = details[key];
    }
  }
}

/**
 * A connection to one gallery: the worker running the module and its
 * synced copy of the gallery.
 */
export class Pixmatch {
  #worker;
  #pending = new Map();
  #nextId = 1;
  #closed = null;
  #base;
  #appId;
  #token;

  /**
   * Starts the worker, loads the module and restores the gallery saved
   * for appId. URLs are resolved against the page's address.
   * @param {{base?: string, appId: string, token?: string, wasmURL?: string,
   *          execURL?: string, workerURL?: string|URL}} options
   * @returns {Promise<Pixmatch>}
   */
  static async open({
    base = location.origin,
    appId,
    token = '',
    wasmURL = '/app/dist/pixmatch.wasm',
    execURL = '/app/dist/wasm_exec.js',
    workerURL = new URL('./pixmatch-worker.js', import.meta.url),
  } = {}) {
    if (!appId) throw new PixmatchError('Pixmatch.open: appId is required', { code: 'argument' });
    const pm = new Pixmatch(workerURL, absolute(base).replace(/\/+$/, ''), String(appId), String(token));
    try {
      await pm.#call('open', {
        base: pm.#base,
        appId: pm.#appId,
        token: pm.#token,
        wasmURL: absolute(wasmURL),
        execURL: absolute(execURL),
      });
    } catch (err) {
      pm.close();
      throw err;
    }
    return pm;
  }

  /** Use Pixmatch.open. */
  constructor(workerURL, base, appId, token) {
    this.#base = base;
    this.#appId = appId;
    this.#token = token;
    this.#worker = new Worker(workerURL);
    this.#worker.onmessage = (event) => this.#settle(event.data);
    this.#worker.onerror = (event) => {
      event.preventDefault();
      this.#fail(new PixmatchError(`pixmatch worker: ${event.message || 'failed'}`));
      this.#worker.terminate();
    };
    this.#worker.onmessageerror = () => this.#fail(new PixmatchError('pixmatch worker: unreadable message'));
  }

  /** The gallery's appId. */
  get appId() {
    return this.#appId;
  }

  /**
   * Brings the local copy of the gallery up to date with the server: one
   * request when nothing changed. The copy is saved when it changed.
   * @returns {Promise<{version: number, count: number, changed: boolean}>}
   */
  sync() {
    return this.#call('sync');
  }

  /**
   * Sets the access token later requests are made with.
   * @param {string} token
   */
  setToken(token) {
    this.#token = String(token || '');
    if (!this.#closed) this.#worker.postMessage({ op: 'setToken', args: { token: this.#token } });
  }

  /**
   * Returns the fingerprint of a picture: the codes the server computes
   * for the same pixels, each as text: window, turn, degrees, then hash
   * and checks in hex, e.g. "centre80 t0 -3 8f3e… 01a2… 77c0… 5b19…".
   * @param {ImageBitmapSource} source a Blob, ImageBitmap, ImageData, image, canvas or video
   * @param {'query'|'target'} [kind]
   * @returns {Promise<{version: number, codes: string[]}>}
   */
  async fingerprint(source, kind = 'query') {
    const { picture, transfer } = await readable(source);
    return this.#call('fingerprint', { picture, kind }, transfer);
  }

  /**
   * Finds the gallery's active targets in a picture, best first.
   * @param {ImageBitmapSource} source a Blob, ImageBitmap, ImageData, image, canvas or video
   * @param {{limit?: number, threshold?: number, filter?: string}} [options]
   *   limit defaults to 5, threshold to the server's; filter is an Alibaba
   *   filter clause such as 'int_attr >= 2 AND str_attr = "red"'.
   * @returns {Promise<{matches: {seq: number, name: string, distance: number, score: number}[],
   *                    ms: {decode: number, fingerprint: number, search: number}}>}
   */
  search(source, options = {}) {
    return this.#read('search', source, searchOptions(options));
  }

  /**
   * Returns what CRS POST /search/features takes in place of a picture:
   * features, its feature record, and fingerprint, its query fingerprint
   * (null for a picture too plain to hash), each a Uint8Array and byte for
   * byte what the server makes of the same pixels; width and height of the
   * plane the features were found on (the server's corners are in its
   * pixels), count features, and the ms of each step.
   * @param {ImageBitmapSource} source
   * @returns {Promise<{features: Uint8Array, fingerprint: Uint8Array|null, width: number,
   *   height: number, count: number, ms: {decode: number, plane: number, features: number, fingerprint: number}}>}
   */
  features(source) {
    return this.#read('features', source);
  }

  /**
   * Reads a picture once for both searches: search's matches in the local
   * gallery, and query, features' answer without its ms, to send to the
   * server; query is null when the module cannot extract features (an
   * older copy of it, cached). A picture with nothing to recognise is an
   * error of code 'content'.
   *
   * With features: true the local gallery is searched as the server
   * searches a query: by the fingerprint and by the features, verified
   * against the feature record of every active target the copy holds (a
   * small gallery's server sends them; about 1 ms a target). A match the
   * features placed carries corners, [{x, y}] ×4 clockwise from the
   * target's top-left in pixels of query's plane (query.width ×
   * query.height), as the server's answer to the query does, and distance
   * -1 when only the features found it.
   * @param {ImageBitmapSource} source
   * @param {{limit?: number, threshold?: number, filter?: string, features?: boolean}} [options]
   *   as for search, and features
   * @returns {Promise<{matches: {seq: number, name: string, distance: number, score: number,
   *     corners?: {x: number, y: number}[]}[],
   *   query: {features: Uint8Array, fingerprint: Uint8Array|null, width: number, height: number, count: number}|null,
   *   ms: {decode: number, plane?: number, features?: number, fingerprint: number, search: number, verify?: number}}>}
   */
  async query(source, options = {}) {
    try {
      return await this.#read('query', source, { ...searchOptions(options), features: Boolean(options.features) });
    } catch (err) {
      if (err.code !== 'unsupported') throw err;
    }
    return { ...(await this.search(source, options)), query: null };
  }

  /**
   * The local copy: its gallery version, its count of targets, of the
   * feature records it holds (those query with features verifies) and
   * the module's fingerprint version.
   * @returns {Promise<{version: number, count: number, records: number, fingerprintVersion: number}>}
   */
  info() {
    return this.#call('info');
  }

  /**
   * Forgets the local copy of the gallery and its saved copy; the next
   * sync fetches a snapshot.
   * @returns {Promise<{version: number, count: number, records: number, fingerprintVersion: number}>}
   */
  reset() {
    return this.#call('reset');
  }

  /** Stops the worker; calls still waiting fail. */
  close() {
    if (this.#closed) return;
    this.#fail(new PixmatchError('pixmatch: closed', { code: 'closed' }));
    this.#worker.terminate();
  }

  /**
   * The sync API's address of a target's details (JSON {seq, targetId,
   * name, meta, active, size, modified}); fetch it with headers().
   * @param {number} seq
   */
  targetURL(seq) {
    return `${this.#base}/sync/${encodeURIComponent(this.#appId)}/targets/${encodeURIComponent(seq)}`;
  }

  /** The address of a target's JPEG thumbnail; fetch it with headers(). */
  imageURL(seq) {
    return `${this.targetURL(seq)}/image`;
  }

  /** The headers the sync API needs: the access token. */
  headers() {
    return { Authorization: this.#token };
  }

  /** Decodes a picture, then asks the worker for op on it with options. */
  async #read(op, source, options) {
    const started = performance.now();
    const { picture, transfer } = await readable(source);
    const decoded = performance.now() - started;
    const result = await this.#call(op, { picture, options }, transfer);
    result.ms.decode += decoded;
    return result;
  }

  #call(op, args = {}, transfer = []) {
    if (this.#closed) {
      for (const t of transfer) t.close?.();
      return Promise.reject(this.#closed);
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, op, args }, transfer);
    });
  }

  #settle({ id, result, error }) {
    const waiting = this.#pending.get(id);
    if (!waiting) return;
    this.#pending.delete(id);
    if (error) waiting.reject(new PixmatchError(error.message, error));
    else waiting.resolve(result);
  }

  #fail(err) {
    this.#closed = err;
    for (const { reject } of this.#pending.values()) reject(err);
    this.#pending.clear();
  }
}

/** Returns the search options the module takes: limit 5 unless given. */
function searchOptions({ limit = 5, threshold, filter } = {}) {
  const options = { limit };
  if (threshold !== undefined && threshold !== null) options.threshold = threshold;
  if (filter) options.filter = filter;
  return options;
}

/** Returns url resolved against the page's address. */
function absolute(url) {
  return new URL(url, location.href).href;
}

/**
 * Returns the width and height of a picture that fits in MAX_SIDE, or null
 * when the picture already does.
 */
function fitted(width, height) {
  const long = Math.max(width, height);
  if (long <= MAX_SIDE) return null;
  const scale = MAX_SIDE / long;
  return {
    resizeWidth: Math.max(1, Math.round(width * scale)),
    resizeHeight: Math.max(1, Math.round(height * scale)),
    resizeQuality: 'high',
  };
}

/** Returns the intrinsic size of a drawable source, or null when unknown. */
function sizeOf(source) {
  const has = (name) => typeof globalThis[name] === 'function' && source instanceof globalThis[name];
  if (has('HTMLImageElement')) return [source.naturalWidth, source.naturalHeight];
  if (has('HTMLVideoElement')) return [source.videoWidth, source.videoHeight];
  if (has('VideoFrame')) return [source.displayWidth, source.displayHeight];
  if (has('ImageBitmap') || has('ImageData') || has('HTMLCanvasElement') || has('OffscreenCanvas')) {
    return [source.width, source.height];
  }
  return null;
}

/**
 * Decodes and scales a picture for the worker. Returns the message part
 * {picture: {bitmap} | {data, width, height}} and the objects to transfer.
 * A caller's own ImageBitmap or ImageData is copied, never taken away.
 */
async function readable(source) {
  if (source instanceof Blob) {
    // Decode once with EXIF orientation applied, then scale if needed.
    let full;
    try {
      full = await createImageBitmap(source, { imageOrientation: 'from-image' });
    } catch (err) {
      throw new PixmatchError(`pixmatch: the file does not decode as a picture (${err.message})`, { code: 'decode' });
    }
    const size = fitted(full.width, full.height);
    if (!size) return bitmapMessage(full);
    try {
      return bitmapMessage(await createImageBitmap(full, size));
    } finally {
      full.close();
    }
  }
  if (source && typeof source.then === 'function') throw new TypeError('pixmatch: pass the picture, not a promise');
  if (typeof HTMLImageElement === 'function' && source instanceof HTMLImageElement && !source.complete) {
    await source.decode();
  }
  const known = sizeOf(source);
  const size = known && fitted(known[0], known[1]);
  if (typeof ImageData === 'function' && source instanceof ImageData && !size) {
    // Raw pixels go as they are (copied by postMessage): bit for bit what
    // the server would fingerprint.
    return { picture: { data: source.data, width: source.width, height: source.height }, transfer: [] };
  }
  if (known) {
    // One step: a copy of the source at the size wanted.
    return bitmapMessage(await createImageBitmap(source, { imageOrientation: 'from-image', ...size }));
  }
  const full = await createImageBitmap(source, { imageOrientation: 'from-image' });
  const late = fitted(full.width, full.height);
  if (!late) return bitmapMessage(full);
  try {
    return bitmapMessage(await createImageBitmap(full, late));
  } finally {
    full.close();
  }
}

function bitmapMessage(bitmap) {
  return { picture: { bitmap }, transfer: [bitmap] };
}
