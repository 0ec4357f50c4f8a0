// session.js — the app's connection to one pixmatch gallery: the CRS
// credentials and their token (renewed before it expires), the in-browser
// recognition module and its synced copy of the gallery, whether the
// server is reachable, and the thumbnails and target details fetched from
// the sync API.

import { CrsClient, requestToken } from './crs.js';
import { CrsError, TOKEN_CODES, isBlankPicture, isOffline, isUndecodable, messageOf } from './errors.js';

const SETTINGS_KEY = 'pixmatch.settings';
const TOKEN_KEY = 'pixmatch.token';
const WASM_URL = '/app/dist/pixmatch.wasm';
const EXEC_URL = '/app/dist/wasm_exec.js';
/** How often an unreachable server is asked whether it is back, in ms. */
const PROBE_INTERVAL = 10_000;
/** How often a reachable server is checked while the page is shown, in ms. */
const HEARTBEAT_INTERVAL = 30_000;
/** How long a search waits for a sync under way, in ms. */
const SYNC_WAIT = 5_000;

/**
 * The connection state shown in Settings.
 * @typedef {'disconnected'|'connecting'|'connected'|'expired'|'error'} ConnState
 */

/**
 * Session holds everything that depends on the credentials. It fires a
 * 'change' event whenever something shown in Settings changes.
 */
export class Session extends EventTarget {
  /** @param {string} base the server's origin */
  constructor(base) {
    super();
    this.base = base;
    const saved = load(SETTINGS_KEY) || {};
    this.appId = saved.appId || '';
    this.apiKey = saved.apiKey || '';
    this.remember = Boolean(saved.remember);
    this.secret = (this.remember && saved.secret) || '';
    const tok = load(TOKEN_KEY);
    /** @type {{token: string, expiresAt: number, appId: string, apiKey: string}|null} */
    this.token = tok && tok.appId === this.appId && tok.apiKey === this.apiKey ? tok : null;
    this.clockOffset = 0;
    /** @type {{state: ConnState, message: string}} */
    this.conn = { state: 'disconnected', message: '' };
    /** The synced gallery as the recognition module holds it. */
    this.gallery = { version: null, count: null, syncedAt: 0, syncing: false, error: '' };
    this.reachable = true;
    this.pm = null;
    this.Pixmatch = null;
    this.moduleError = null;
    this.crs = new CrsClient(base, {
      appId: () => this.appId,
      token: () => this.validToken(),
      renew: () => this.renew(),
      reached: (ok) => this.setReachable(ok),
    });
    this.thumbs = new Map();
    this.infos = new Map();
    this.started = null;
    // The restore or connect under way. Until start() has restored the
    // stored gallery, it is a promise that start() settles.
    this.pending = new Promise((resolve) => {
      this.settleStart = resolve;
    });
    this.syncChain = Promise.resolve();
    this.nextSync = null;
    this.renewing = null;
    this.renewTimer = 0;
    this.probeTimer = 0;
  }

  /** Reports whether the server cannot be reached now. */
  get offline() {
    return !navigator.onLine || !this.reachable;
  }

  /**
   * Loads the recognition module and, when credentials are stored, opens
   * the gallery copy kept in IndexedDB. Resolves when that is done (the
   * first sync carries on in the background).
   * @returns {Promise<void>}
   */
  start() {
    addEventListener('online', () => this.probe());
    addEventListener('offline', () => this.changed());
    // Notice a server that went away even when nothing is being asked.
    setInterval(() => {
      if (this.reachable && !document.hidden) this.probe();
    }, HEARTBEAT_INTERVAL);
    this.started = import('./pixmatch.js').then(
      (m) => {
        this.Pixmatch = m.Pixmatch;
      },
      (err) => {
        this.moduleError = err;
      },
    );
    const restored = this.started.then(() => this.restore());
    this.settleStart(restored.catch(() => {}));
    return this.pending;
  }

  async restore() {
    if (!this.appId || !this.token) {
      this.setConn('disconnected', 'Not connected. Enter the appId, API key and API secret, then Connect.');
      return;
    }
    this.scheduleRenewal();
    if (this.token.expiresAt > Date.now()) {
      this.setConn('connected', '');
    } else if (this.secret) {
      this.renew().catch((err) => this.setConn('error', messageOf(err)));
    } else {
      this.setConn('expired', '');
    }
    try {
      await this.openIndex();
    } catch (err) {
      this.gallery.error = messageOf(err);
      this.changed();
      return;
    }
    this.sync().catch(() => {}); // shown in Settings
  }

  /**
   * Obtains a token with the given credentials, opens the gallery and
   * syncs it. The secret is stored only when remember is true.
   * @param {{appId: string, apiKey: string, apiSecret: string, remember: boolean}} form
   * @returns {Promise<void>}
   */
  connect(form) {
    const run = this.pending.then(() => this.doConnect(form));
    this.pending = run.catch(() => {});
    return run;
  }

  async doConnect({ appId, apiKey, apiSecret, remember }) {
    appId = appId.trim();
    apiKey = apiKey.trim();
    apiSecret = apiSecret.trim();
    if (!appId || !apiKey || !apiSecret) {
      const err = new Error('Enter the appId, the API key and the API secret.');
      this.setConn('error', err.message);
      throw err;
    }
    this.setConn('connecting', 'Connecting…');
    let tok;
    try {
      tok = await requestToken({ base: this.base, appId, apiKey, apiSecret, clockOffset: this.clockOffset });
    } catch (err) {
      if (isOffline(err)) this.setReachable(false);
      this.setConn('error', messageOf(err));
      throw err;
    }
    this.setReachable(true);
    if (appId !== this.appId) this.forgetFetched();
    Object.assign(this, { appId, apiKey, secret: apiSecret, remember: Boolean(remember) });
    this.clockOffset = tok.clockOffset;
    this.saveSettings();
    this.setToken(tok);
    this.setConn('connected', '');
    await this.openIndex();
    await this.sync().catch(() => {}); // a failed sync is shown, the connection stands
  }

  /**
   * Forgets the stored credentials, the token and the gallery copy.
   * @returns {Promise<void>}
   */
  async forget() {
    await this.pending;
    clearTimeout(this.renewTimer);
    localStorage.removeItem(SETTINGS_KEY);
    localStorage.removeItem(TOKEN_KEY);
    if (this.pm) {
      await this.pm.reset().catch(() => {});
      this.pm.close();
    }
    this.pm = null;
    this.forgetFetched();
    Object.assign(this, { appId: '', apiKey: '', secret: '', remember: false, token: null });
    this.gallery = { version: null, count: null, syncedAt: 0, syncing: false, error: '' };
    this.setConn('disconnected', 'Keys forgotten.');
  }

  /** Opens (or re-targets) the recognition module on the current appId. */
  async openIndex() {
    await this.started;
    if (!this.Pixmatch) {
      throw new Error(`Recognition in the browser is unavailable: ${messageOf(this.moduleError)}`);
    }
    const token = this.token ? this.token.token : '';
    if (this.pm && this.pmAppId === this.appId) {
      this.pm.setToken(token);
      return this.pm;
    }
    if (this.pm) this.pm.close();
    this.pm = null;
    const pm = await this.Pixmatch.open({ base: this.base, appId: this.appId, token, wasmURL: WASM_URL, execURL: EXEC_URL });
    this.pm = pm;
    this.pmAppId = this.appId;
    const info = await pm.info();
    Object.assign(this.gallery, { version: info.version, count: info.count, error: '' });
    this.changed();
    return pm;
  }

  /**
   * Returns the recognition module once any connect or sync under way is
   * over, so a search sees every change made before it was asked for.
   * @returns {Promise<any>} the Pixmatch instance
   */
  async localIndex() {
    await this.pending;
    // A sync that hangs (a server that does not answer) must not stop
    // recognition from the copy already held.
    await Promise.race([this.syncChain.catch(() => {}), new Promise((r) => setTimeout(r, SYNC_WAIT))]);
    if (this.pm) return this.pm;
    if (this.appId && this.token) return this.openIndex();
    throw new Error('Not connected: enter your keys in Settings and press Connect.');
  }

  /**
   * Tells what this browser finds wrong with a picture file: 'content'
   * when it is blank (the recognition module finds nothing in it to
   * recognise), 'decode' when it does not decode, '' when nothing is
   * wrong or it cannot tell. Never rejects.
   * @param {Blob} file
   * @returns {Promise<''|'content'|'decode'>}
   */
  async inspect(file) {
    try {
      if (this.pm) await this.pm.fingerprint(file, 'target');
      else (await createImageBitmap(file)).close();
      return '';
    } catch (err) {
      if (isBlankPicture(err) || isUndecodable(err)) return err.code;
      return this.pm ? '' : 'decode';
    }
  }

  /**
   * Brings the browser's copy of the gallery up to date. Calls made while
   * a sync runs are served by one more sync after it, so every change
   * made before the call is seen.
   * @returns {Promise<{version: number, count: number, changed: boolean}>}
   */
  sync() {
    if (this.nextSync) return this.nextSync;
    const run = this.syncChain
      .catch(() => {})
      .then(() => {
        this.nextSync = null;
        return this.runSync();
      });
    this.nextSync = run;
    this.syncChain = run;
    return run;
  }

  async runSync() {
    const pm = this.pm;
    if (!pm) throw new Error('Not connected: enter your keys in Settings and press Connect.');
    this.gallery.syncing = true;
    this.changed();
    try {
      pm.setToken(await this.validToken());
      let res;
      try {
        res = await pm.sync();
      } catch (err) {
        const fresh = TOKEN_CODES.has(codeOf(err)) ? await this.renew().catch(() => null) : null;
        if (!fresh) throw err;
        res = await pm.sync();
      }
      Object.assign(this.gallery, { version: res.version, count: res.count, syncedAt: Date.now(), error: '' });
      this.setReachable(true);
      return res;
    } catch (err) {
      if (isOffline(err)) this.setReachable(false);
      this.gallery.error = messageOf(err);
      throw err;
    } finally {
      this.gallery.syncing = false;
      this.changed();
    }
  }

  /**
   * Returns a token to call the server with, renewed first when it is
   * about to expire and the secret is known.
   * @returns {Promise<string>}
   */
  async validToken() {
    if (!this.token) {
      throw new Error('Not connected: enter your keys in Settings and press Connect.');
    }
    if (this.token.expiresAt - Date.now() < 60_000 && this.secret) {
      const fresh = await this.renew();
      if (fresh) return fresh;
    }
    return this.token.token;
  }

  /**
   * Obtains a new token with the known secret; null when there is none.
   * Concurrent calls share one request.
   * @returns {Promise<string|null>}
   */
  renew() {
    if (!this.secret || !this.apiKey || !this.appId) return Promise.resolve(null);
    if (!this.renewing) {
      const { appId, apiKey, secret } = this;
      this.renewing = requestToken({ base: this.base, appId, apiKey, apiSecret: secret, clockOffset: this.clockOffset })
        .then((tok) => {
          this.clockOffset = tok.clockOffset;
          this.setToken(tok);
          this.setConn('connected', '');
          return tok.token;
        })
        .finally(() => {
          this.renewing = null;
        });
    }
    return this.renewing;
  }

  setToken(tok) {
    this.token = { token: tok.token, expiresAt: tok.expiresAt, appId: this.appId, apiKey: this.apiKey };
    save(TOKEN_KEY, this.token);
    if (this.pm) this.pm.setToken(tok.token);
    this.scheduleRenewal();
  }

  /**
   * Renews the token a little before it expires (a tenth of its life, at
   * most 10 minutes) when the secret is known; otherwise marks the
   * connection expired when it does.
   */
  scheduleRenewal() {
    clearTimeout(this.renewTimer);
    if (!this.token) return;
    const left = this.token.expiresAt - Date.now();
    const margin = Math.min(10 * 60_000, Math.max(left, 0) / 10);
    const due = Math.max(0, Math.min(left - (this.secret ? margin : 0), 2 ** 31 - 1));
    this.renewTimer = setTimeout(() => {
      if (!this.secret) {
        this.setConn('expired', '');
        return;
      }
      this.renew().catch(() => {
        // Unreachable or refused: try again in a minute, the old token
        // may still be valid until then.
        this.renewTimer = setTimeout(() => this.scheduleRenewal(), 60_000);
      });
    }, due);
  }

  /**
   * Records whether the server answered; while it does not, asks GET
   * /ping every few seconds and syncs once it is back.
   * @param {boolean} ok
   */
  setReachable(ok) {
    if (ok === this.reachable) return;
    this.reachable = ok;
    clearInterval(this.probeTimer);
    if (!ok) this.probeTimer = setInterval(() => this.probe(), PROBE_INTERVAL);
    this.changed();
    if (ok && this.pm && this.gallery.error) this.sync().catch(() => {});
  }

  /** Asks the server whether it is there (GET /ping needs no token). */
  async probe() {
    this.changed();
    if (!navigator.onLine) return;
    try {
      const res = await fetch(new URL('/ping', this.base), { cache: 'no-store', signal: timeout(5000) });
      this.setReachable(res.ok);
    } catch {
      this.setReachable(false);
    }
  }

  /**
   * Returns a blob: URL of a target's thumbnail (ref = its seq or its
   * targetId), or null when it cannot be had. Cached per appId and ref.
   * @param {string|number} ref
   * @returns {Promise<string|null>}
   */
  thumbnail(ref) {
    return this.fetchOnce(this.thumbs, ref, async (url, headers) => {
      const res = await fetch(url + '/image', { headers, cache: 'no-cache' });
      return res.ok ? URL.createObjectURL(await res.blob()) : null;
    });
  }

  /**
   * Returns a target's details from the sync API: {seq, targetId, name,
   * meta, active, size, modified}, or null. Cached per appId and ref.
   * @param {string|number} ref
   * @returns {Promise<object|null>}
   */
  targetInfo(ref) {
    return this.fetchOnce(this.infos, ref, async (url, headers) => {
      const res = await fetch(url, { headers, cache: 'no-cache' });
      if (!res.ok) return null;
      const body = await res.json();
      // Tolerate a CRS envelope around the details.
      return body && typeof body.statusCode === 'number' ? (body.statusCode === 0 ? body.result : null) : body;
    });
  }

  /** Drops what is cached about a target that changed. */
  forgetTarget(...refs) {
    for (const ref of refs) {
      const key = `${this.appId}/${ref}`;
      const thumb = this.thumbs.get(key);
      if (thumb) thumb.then((u) => u && URL.revokeObjectURL(u));
      this.thumbs.delete(key);
      this.infos.delete(key);
    }
  }

  fetchOnce(cache, ref, get) {
    const key = `${this.appId}/${ref}`;
    let p = cache.get(key);
    if (!p) {
      const url = `${this.base}/sync/${encodeURIComponent(this.appId)}/targets/${encodeURIComponent(ref)}`;
      p = this.validToken()
        .then((token) => get(url, { Authorization: token }))
        .catch(() => null);
      cache.set(key, p);
      p.then((v) => {
        if (v == null && cache.get(key) === p) cache.delete(key); // try again next time
      });
    }
    return p;
  }

  forgetFetched() {
    for (const p of this.thumbs.values()) p.then((u) => u && URL.revokeObjectURL(u));
    this.thumbs.clear();
    this.infos.clear();
  }

  saveSettings() {
    const s = { appId: this.appId, apiKey: this.apiKey, remember: this.remember };
    if (this.remember) s.secret = this.secret;
    save(SETTINGS_KEY, s);
  }

  setConn(state, message) {
    this.conn = { state, message };
    this.changed();
  }

  /** Fires one 'change' event for all changes made in this task. */
  changed() {
    if (this.changeQueued) return;
    this.changeQueued = true;
    queueMicrotask(() => {
      this.changeQueued = false;
      this.dispatchEvent(new Event('change'));
    });
  }
}

/** Returns the CRS statusCode an error carries, or NaN. */
function codeOf(err) {
  if (err instanceof CrsError) return err.code;
  return Number(err && (err.statusCode ?? err.code));
}

function timeout(ms) {
  return AbortSignal.timeout ? AbortSignal.timeout(ms) : undefined;
}

function load(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || 'null');
  } catch {
    return null;
  }
}

function save(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the session still works until reload.
  }
}
