// recognise.js — the Recognise tab: one picture (chosen, dropped or
// pasted) matched twice side by side, in this browser by the recognition
// module and on the server. The module reads the picture once: it
// searches the gallery kept on this device and makes the picture's query
// (its local features and fingerprint), which the server searches with
// POST /search/features, so the picture itself never leaves the device.
// The local search verifies the features too, against the feature records
// the copy holds (a small gallery's). Where the server finds the target,
// its outline is drawn on the picture; where no server answers (offline,
// or none configured), the local match's outline is, drawn the same way.

import { byId, outlineOf, renderResult } from './ui.js';
import { blobToBase64 } from './crs.js';
import {
  BLANK, CrsError, IMAGE_NOT_CORRECT, NO_RESULT, OfflineError, PictureError, UNDECODABLE, isBlankPicture, isOffline, isUndecodable,
  messageOf,
} from './errors.js';
import { imageFrom, uploadable } from './media.js';

/** How many matches each side asks for. */
const LOCAL_LIMIT = 5;
const SERVER_LIMIT = 3;

/** The Recognise tab. */
export class RecognisePanel {
  /**
   * @param {import('./session.js').Session} session
   * @param {{lastLocal: any, lastServer: any}} app receives the last results
   */
  constructor(session, app) {
    this.session = session;
    this.app = app;
    this.input = /** @type {HTMLInputElement} */ (byId('file'));
    this.drop = byId('drop');
    this.local = byId('local-result');
    this.server = byId('server-result');
    this.picture = /** @type {HTMLImageElement} */ (byId('picture'));
    this.outline = byId('picture-outline');
    this.run = 0; // bumped by every picture; older results are dropped
    this.pictureURL = '';
    this.bind();
  }

  show() {}

  bind() {
    this.input.addEventListener('change', () => {
      const file = this.input.files && this.input.files[0];
      if (file) this.recognise(file);
    });
    const drop = this.drop;
    for (const type of ['dragenter', 'dragover']) {
      drop.addEventListener(type, (e) => {
        e.preventDefault();
        drop.classList.add('is-over');
      });
    }
    for (const type of ['dragleave', 'dragend']) {
      drop.addEventListener(type, () => drop.classList.remove('is-over'));
    }
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('is-over');
      const file = imageFrom(e.dataTransfer);
      if (file) this.recognise(file);
    });
    // Enter or Space on the focused drop zone opens the file picker.
    drop.addEventListener('keydown', (e) => {
      if ((e.key === 'Enter' || e.key === ' ') && e.target === drop) {
        e.preventDefault();
        this.input.click();
      }
    });
  }

  /**
   * Shows a picture and matches it here and on the server at once.
   * @param {Blob} file
   * @returns {Promise<void>} settles when both sides have answered
   */
  async recognise(file) {
    const mine = ++this.run;
    // Busy at once, so nobody reads the previous picture's results.
    renderResult(this.local, { state: 'busy', message: 'Matching in this browser…' });
    renderResult(this.server, { state: 'busy', message: 'Asking the server…' });
    if (this.pictureURL) URL.revokeObjectURL(this.pictureURL);
    this.pictureURL = URL.createObjectURL(file);
    this.picture.src = this.pictureURL;
    this.showOutline(null);
    byId('picture-box').hidden = false;
    const stale = () => mine !== this.run;
    const local = this.matchLocally(file, stale);
    await Promise.all([local, this.matchOnServer(file, stale, local)]);
  }

  /**
   * Matches the picture in this browser and shows the result. Resolves to
   * {found, query, best}: what the module found wrong with the picture
   * ('content' (blank), 'decode' (the file does not decode) or ''
   * (nothing, or not known)), the picture's query for the server, or
   * null when the module could not make one, and the local best match or
   * null.
   * @returns {Promise<{found: string, query: any, best: any}>}
   */
  async matchLocally(file, stale) {
    let view;
    let found = '';
    let query = null;
    let best = null;
    try {
      const pm = await this.session.localIndex();
      const t0 = performance.now();
      const res = await pm.query(file, { limit: LOCAL_LIMIT, features: true });
      const elapsed = performance.now() - t0;
      query = res.query || null;
      best = res.matches[0] || null;
      if (stale()) return { found, query, best };
      this.app.lastLocal = { ...res, state: best ? 'match' : 'nomatch', elapsed, best };
      view = this.localView(res, best, elapsed);
    } catch (err) {
      if (isBlankPicture(err) || isUndecodable(err)) found = err.code;
      if (stale()) return { found, query, best };
      view = found === 'content'
        ? { state: 'nomatch', message: `No match: ${lower(BLANK)}` }
        : { state: 'error', message: messageOf(err) };
      this.app.lastLocal = { state: view.state, error: view.message, matches: [] };
    }
    renderResult(this.local, view);
    return { found, query, best };
  }

  localView(res, best, elapsed) {
    const t = res.ms || {};
    const features = t.features === undefined ? '' : ` · features ${fmt(t.features)}`;
    const verify = t.verify ? ` · verify ${fmt(t.verify)}` : '';
    const detail = `decode ${fmt(t.decode)}${features} · fingerprint ${fmt(t.fingerprint)} · search ${fmt(t.search)}${verify} ms`;
    if (!best) {
      return { state: 'nomatch', message: 'No match in the gallery kept on this device.', ms: elapsed, detail };
    }
    // The module knows a match by its seq; the meta comes from the sync
    // API, the thumbnail from it or from the offline cache.
    const info = this.session.targetInfo(best.seq);
    return {
      state: 'match',
      message: 'Match',
      name: best.name,
      score: best.score,
      ms: elapsed,
      detail: best.distance < 0 ? `${detail} · found by its features` : `${detail} · Hamming distance ${best.distance}`,
      meta: info.then((i) => (i ? i.meta : '')),
      thumb: this.session.thumbnail(best.seq),
      others: res.matches.slice(1),
    };
  }

  /**
   * Asks the server and shows its answer. local resolves to what this
   * browser made of the picture: its query, sent in place of the picture,
   * or what it found wrong with it, which explains a refusal. Only a
   * picture the module could not read (one this browser cannot decode,
   * or a module without features) is sent as it is.
   */
  async matchOnServer(file, stale, local) {
    let view;
    let elapsed;
    try {
      await this.session.pending;
      if (!navigator.onLine) throw new OfflineError();
      const { found, query } = await local;
      if (found === 'content') throw new PictureError('content'); // nothing to ask about
      const ask = query ? this.askWithQuery(query) : this.askWithPicture(file);
      const t0 = performance.now();
      const asked = await ask.finally(() => {
        elapsed = performance.now() - t0;
      });
      const { result, via, sent, scale } = asked;
      if (stale()) return;
      const best = result.target;
      this.app.lastServer = { ...result, state: 'match', statusCode: 0, elapsed, best, via, sent };
      view = {
        state: 'match',
        message: 'Match',
        name: best.name,
        score: best.score,
        ms: elapsed,
        detail: `round trip to the server; sent ${via === 'features' ? 'the features' : 'the picture'}, ${kb(sent)} KB`,
        meta: best.meta,
        thumb: this.session.thumbnail(best.targetId),
        others: (result.targets || []).slice(1),
      };
      this.showOutline(best, scale, stale);
    } catch (err) {
      const { found, query, best } = await local;
      if (stale()) return;
      view = serverFailure(err, found);
      if (!(err instanceof CrsError) && query) {
        // No server answered: the outline this browser placed, if any.
        this.showOutline(best, (img) => [img.naturalWidth / query.width, img.naturalHeight / query.height], stale);
      }
      if (view.state !== 'offline') view.ms = elapsed;
      const statusCode = err instanceof CrsError ? err.code : null;
      this.app.lastServer = { state: view.state, statusCode, error: view.message, elapsed };
    }
    renderResult(this.server, view);
  }

  /**
   * Searches the server with the picture's query (POST /search/features):
   * a few tens of KB of features in place of the picture. Its corners are
   * in pixels of the query's plane.
   */
  async askWithQuery(query) {
    const parts = { features: query.features, expectNumber: SERVER_LIMIT, notracking: true };
    if (query.fingerprint) parts.fingerprint = query.fingerprint;
    const sent = query.features.length + (query.fingerprint ? query.fingerprint.length : 0);
    const result = await this.session.crs.postParts('/search/features', parts);
    const scale = (img) => [img.naturalWidth / query.width, img.naturalHeight / query.height];
    return { result, via: 'features', sent, scale };
  }

  /**
   * Searches the server with the picture itself (POST /search). Its
   * corners are in pixels of the upright picture sent: the picture shown,
   * unless it had to be converted to be sent.
   */
  async askWithPicture(file) {
    const upload = await uploadable(file);
    const image = await blobToBase64(upload);
    const result = await this.session.crs.post('/search', { image, expectNumber: SERVER_LIMIT, notracking: true });
    const scale = upload === file ? () => [1, 1] : null;
    return { result, via: 'picture', sent: upload.size, scale };
  }

  /**
   * Draws the outline of a match on the picture (#picture-outline, whose
   * data-corners holds it in the picture's pixels), or hides it for
   * null. scale(img) gives the factors from the corners' pixels to the
   * picture's; null when they cannot be known.
   */
  async showOutline(best, scale, stale) {
    const svg = this.outline;
    if (!best || !scale) {
      svg.setAttribute('hidden', '');
      delete svg.dataset.corners;
      return;
    }
    await this.picture.decode().catch(() => {});
    if (stale() || !this.picture.naturalWidth) return;
    const points = outlineOf(best, ...scale(this.picture));
    if (!points) return;
    svg.setAttribute('viewBox', `0 0 ${this.picture.naturalWidth} ${this.picture.naturalHeight}`);
    svg.querySelector('polygon').setAttribute('points', points.map((p) => p.join(',')).join(' '));
    svg.dataset.corners = JSON.stringify(points);
    svg.removeAttribute('hidden');
  }
}

/** Returns a number of bytes in KB, to one decimal under 10. */
function kb(bytes) {
  const k = bytes / 1024;
  return k < 10 ? k.toFixed(1) : String(Math.round(k));
}

/**
 * The server side's card for a failed search. found is what this browser
 * found wrong with the picture: the server answers no match for a blank
 * picture, and 427 for a blank one or a damaged file alike.
 */
function serverFailure(err, found) {
  if (isBlankPicture(err)) {
    return { state: 'nomatch', message: `No match: ${lower(BLANK)}` }; // the server was not asked
  }
  const code = err instanceof CrsError ? err.code : null;
  if (found === 'content' && (code === NO_RESULT || code === IMAGE_NOT_CORRECT)) {
    return { state: 'nomatch', message: `No match: ${lower(BLANK)}` };
  }
  if (code === NO_RESULT) {
    return { state: 'nomatch', message: err.message };
  }
  if (found === 'decode' && code === IMAGE_NOT_CORRECT) {
    return { state: 'error', message: `Refused, as ${lower(UNDECODABLE)} (code ${code})` };
  }
  if (isUndecodable(err)) {
    // uploadable() could neither send the file as it is nor convert it.
    return { state: 'error', message: `Not sent to the server, as ${lower(UNDECODABLE)}` };
  }
  if (isOffline(err)) {
    return { state: 'offline', message: 'Offline: the server cannot be reached. The match in this browser still works.' };
  }
  return { state: 'error', message: messageOf(err) };
}

/** Returns a sentence with its first letter in lower case. */
function lower(text) {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function fmt(ms) {
  if (!Number.isFinite(ms)) return '–';
  return ms < 10 ? ms.toFixed(1) : String(Math.round(ms));
}
