// recognise.js — the Recognise tab: one picture (chosen, dropped or
// pasted) matched twice side by side, in this browser by the recognition
// module and on the server by POST /search.

import { byId, renderResult } from './ui.js';
import { blobToBase64 } from './crs.js';
import {
  BLANK, CrsError, IMAGE_NOT_CORRECT, NO_RESULT, OfflineError, UNDECODABLE, isBlankPicture, isOffline, isUndecodable, messageOf,
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
    byId('picture-box').hidden = false;
    const stale = () => mine !== this.run;
    const local = this.matchLocally(file, stale);
    await Promise.all([local, this.matchOnServer(file, stale, local)]);
  }

  /**
   * Matches the picture in this browser and shows the result. Resolves to
   * what the module found wrong with the picture: 'content' (blank),
   * 'decode' (the file does not decode) or '' (nothing, or not known).
   * @returns {Promise<string>}
   */
  async matchLocally(file, stale) {
    let view;
    let found = '';
    try {
      const pm = await this.session.localIndex();
      const t0 = performance.now();
      const res = await pm.search(file, { limit: LOCAL_LIMIT });
      const elapsed = performance.now() - t0;
      if (stale()) return found;
      const best = res.matches[0] || null;
      this.app.lastLocal = { ...res, state: best ? 'match' : 'nomatch', elapsed, best };
      view = this.localView(res, best, elapsed);
    } catch (err) {
      if (isBlankPicture(err) || isUndecodable(err)) found = err.code;
      if (stale()) return found;
      view = found === 'content'
        ? { state: 'nomatch', message: `No match: ${lower(BLANK)}` }
        : { state: 'error', message: messageOf(err) };
      this.app.lastLocal = { state: view.state, error: view.message, matches: [] };
    }
    renderResult(this.local, view);
    return found;
  }

  localView(res, best, elapsed) {
    const t = res.ms || {};
    const detail = `decode ${fmt(t.decode)} · fingerprint ${fmt(t.fingerprint)} · search ${fmt(t.search)} ms`;
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
      detail: `${detail} · Hamming distance ${best.distance}`,
      meta: info.then((i) => (i ? i.meta : '')),
      thumb: this.session.thumbnail(best.seq),
      others: res.matches.slice(1),
    };
  }

  /**
   * Asks the server and shows its answer; local resolves to what this
   * browser found wrong with the picture, which explains a refusal.
   */
  async matchOnServer(file, stale, local) {
    let view;
    let elapsed;
    try {
      await this.session.pending;
      if (!navigator.onLine) throw new OfflineError();
      const image = await blobToBase64(await uploadable(file));
      const t0 = performance.now();
      const result = await this.session.crs
        .post('/search', { image, expectNumber: SERVER_LIMIT, notracking: true })
        .finally(() => {
          elapsed = performance.now() - t0;
        });
      if (stale()) return;
      const best = result.target;
      this.app.lastServer = { ...result, state: 'match', statusCode: 0, elapsed, best };
      view = {
        state: 'match',
        message: 'Match',
        name: best.name,
        score: best.score,
        ms: elapsed,
        detail: 'round trip to the server',
        meta: best.meta,
        thumb: this.session.thumbnail(best.targetId),
        others: (result.targets || []).slice(1),
      };
    } catch (err) {
      const found = await local;
      if (stale()) return;
      view = serverFailure(err, found);
      if (view.state !== 'offline') view.ms = elapsed;
      const statusCode = err instanceof CrsError ? err.code : null;
      this.app.lastServer = { state: view.state, statusCode, error: view.message, elapsed };
    }
    renderResult(this.server, view);
  }
}

/**
 * The server side's card for a failed search. found is what this browser
 * found wrong with the picture: the server answers no match for a blank
 * picture, and 427 for a blank one or a damaged file alike.
 */
function serverFailure(err, found) {
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
