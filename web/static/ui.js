// ui.js — small DOM helpers shared by the tabs: element lookup and
// creation, the match cards of the Recognise tab, meta decoding and the
// message line.

/**
 * Returns the element with the given id; throws when the page lacks it,
 * so a missing hook shows up at start rather than on first use.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node;
}

/**
 * Creates an element with properties (class, dataset, text, attributes,
 * on* listeners) and children.
 * @param {string} tag
 * @param {Record<string, any>} [props]
 * @param {...(Node|string|null|undefined)} children
 * @returns {HTMLElement}
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v == null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k in node && typeof v !== 'string') node[k] = v;
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c != null) node.append(c);
  return node;
}

/**
 * Shows a CRS meta for people: base64 of UTF-8 text is decoded, and JSON
 * (decoded or not) is left as is unless it came out of base64, where it is
 * pretty-printed. Anything else is shown unchanged.
 * @param {unknown} meta
 * @returns {string}
 */
export function decodeMeta(meta) {
  if (meta == null) return '';
  const raw = String(meta);
  const s = raw.trim();
  if (s.length < 4 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) return raw;
  const std = s.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (std.length % 4 === 1) return raw;
  try {
    const bin = atob(std + '='.repeat((4 - (std.length % 4)) % 4));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    // Binary that happens to be valid UTF-8 still has control characters.
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) return raw;
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      return text;
    }
  } catch {
    return raw;
  }
}

/**
 * Formats a duration in milliseconds: "0.4 ms", "12 ms", "1.25 s".
 * @param {number} ms
 * @returns {string}
 */
export function formatMs(ms) {
  if (!Number.isFinite(ms)) return '';
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/**
 * Formats a match score in (0, 1].
 * @param {number} score
 * @returns {string}
 */
export function formatScore(score) {
  const n = Number(score);
  return Number.isFinite(n) ? n.toFixed(3) : '';
}

/**
 * Returns where a match's corners are in a picture: the server gives them
 * ({x, y} ×4, clockwise from the target's top-left) in pixels of the
 * picture it was sent or of the feature plane it was sent instead; sx and
 * sy scale those to the picture shown. Null when the match has none.
 * @param {{corners?: {x: number, y: number}[]}|null} match
 * @param {number} sx
 * @param {number} sy
 * @returns {[number, number][]|null} rounded to 0.1 pixel
 */
export function outlineOf(match, sx, sy) {
  const corners = match && match.corners;
  if (!Array.isArray(corners) || corners.length !== 4) return null;
  const round = (v) => Math.round(v * 10) / 10;
  const points = corners.map((c) => [round(Number(c.x) * sx), round(Number(c.y) * sy)]);
  return points.every((p) => p.every(Number.isFinite)) ? points : null;
}

/**
 * What a match card shows. Values that arrive later (a thumbnail, a meta
 * fetched separately) may be promises.
 * @typedef {object} ResultView
 * @property {'match'|'nomatch'|'error'|'offline'|'busy'} state
 * @property {string} [message]
 * @property {string} [name]
 * @property {number} [score]
 * @property {number} [ms]
 * @property {string} [detail] timing breakdown, shown on hover
 * @property {string|Promise<string>} [meta] the raw meta (decoded here)
 * @property {string|null|Promise<string|null>} [thumb] an image URL
 * @property {{name: string, score: number}[]} [others] further matches
 */

const generations = new WeakMap();

/**
 * Renders a match card (#local-result, #server-result): sets data-state
 * and fills .status .name .score .ms .meta img.thumb .others. Late values
 * of an older render are ignored.
 * @param {HTMLElement} card
 * @param {ResultView} view
 */
export function renderResult(card, view) {
  const gen = (generations.get(card) || 0) + 1;
  generations.set(card, gen);
  const current = () => generations.get(card) === gen;
  const part = (sel) => card.querySelector(sel);

  card.dataset.state = view.state;
  part('.status').textContent = view.message || '';
  part('.name').textContent = view.name || '';
  part('.score').textContent = view.score != null ? formatScore(view.score) : '';
  const ms = part('.ms');
  ms.textContent = view.ms != null ? formatMs(view.ms) : '';
  ms.title = view.detail || '';

  const meta = part('.meta');
  meta.textContent = '';
  Promise.resolve(view.meta).then((m) => {
    if (current()) meta.textContent = decodeMeta(m);
  }, () => {});

  const img = part('img.thumb');
  img.removeAttribute('src');
  img.hidden = true;
  img.alt = view.name ? `Thumbnail of ${view.name}` : '';
  Promise.resolve(view.thumb).then((url) => {
    if (url && current()) {
      img.src = url;
      img.hidden = false;
    }
  }, () => {});

  const others = part('.others');
  others.replaceChildren(
    ...(view.others || []).map((o) => el('li', { text: `${o.name} · ${formatScore(o.score)}` })),
  );
}

let messageTimer = 0;

/**
 * Shows a message on the page's message line (an ARIA live region).
 * Information fades after a few seconds; errors stay until replaced.
 * @param {string} text
 * @param {'info'|'error'} [kind]
 */
export function notify(text, kind = 'info') {
  const line = byId('message');
  line.textContent = text;
  line.dataset.kind = kind;
  line.hidden = !text;
  clearTimeout(messageTimer);
  if (kind === 'info' && text) {
    messageTimer = setTimeout(() => {
      line.hidden = true;
    }, 6000);
  }
}

/**
 * Runs task with button disabled, so a second tap cannot start it twice.
 * @template T
 * @param {HTMLButtonElement} button
 * @param {() => Promise<T>} task
 * @returns {Promise<T>}
 */
export async function whileBusy(button, task) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await task();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
