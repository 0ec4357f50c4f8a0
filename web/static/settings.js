// settings.js — the Settings tab: the CRS keys, Connect, the connection
// and sync state, and the offline badge shown in the header.

import { byId, notify, whileBusy } from './ui.js';
import { messageOf } from './errors.js';

/** The Settings tab. */
export class SettingsPanel {
  /** @param {import('./session.js').Session} session */
  constructor(session) {
    this.session = session;
    this.appId = /** @type {HTMLInputElement} */ (byId('appId'));
    this.apiKey = /** @type {HTMLInputElement} */ (byId('apiKey'));
    this.apiSecret = /** @type {HTMLInputElement} */ (byId('apiSecret'));
    this.remember = /** @type {HTMLInputElement} */ (byId('remember'));
    this.connect = /** @type {HTMLButtonElement} */ (byId('connect'));
    this.syncNow = /** @type {HTMLButtonElement} */ (byId('sync-now'));
    this.forget = /** @type {HTMLButtonElement} */ (byId('forget'));
    this.fill();
    this.bind();
    this.render();
  }

  show() {}

  /**
   * Puts the stored keys in the fields, or the keys of a connect link
   * (#connect?appId=…&apiKey=…&apiSecret=…, which the server prints at its
   * first start), leaving it to the user to press Connect.
   */
  fill() {
    const s = this.session;
    this.appId.value = s.appId;
    this.apiKey.value = s.apiKey;
    this.apiSecret.value = s.secret;
    this.remember.checked = s.remember;
    if (location.hash.startsWith('#connect?')) {
      const link = new URLSearchParams(location.hash.slice('#connect?'.length));
      this.appId.value = link.get('appId') || this.appId.value;
      this.apiKey.value = link.get('apiKey') || this.apiKey.value;
      this.apiSecret.value = link.get('apiSecret') || this.apiSecret.value;
      history.replaceState(null, '', '#settings'); // the secret leaves the address bar
    }
  }

  bind() {
    const s = this.session;
    byId('settings-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const form = {
        appId: this.appId.value,
        apiKey: this.apiKey.value,
        apiSecret: this.apiSecret.value,
        remember: this.remember.checked,
      };
      whileBusy(this.connect, () => s.connect(form)).then(
        () => notify(`Connected to ${s.appId}.`),
        (err) => notify(messageOf(err), 'error'),
      );
    });
    this.syncNow.addEventListener('click', () => {
      whileBusy(this.syncNow, async () => {
        await s.pending;
        return s.sync();
      }).then(
        (res) => notify(res.changed ? `Gallery updated to version ${res.version}.` : 'The gallery is up to date.'),
        (err) => notify(`Sync failed: ${messageOf(err)}`, 'error'),
      );
    });
    this.forget.addEventListener('click', () => {
      if (!confirm('Forget the keys and the gallery kept on this device?')) return;
      whileBusy(this.forget, () => s.forget()).then(() => this.fill(), (err) => notify(messageOf(err), 'error'));
    });
    s.addEventListener('change', () => this.render());
  }

  /** Shows the session's state in #conn-status, #sync-status and #offline. */
  render() {
    const s = this.session;
    const conn = byId('conn-status');
    conn.dataset.state = s.conn.state;
    conn.textContent = connectionText(s);
    const sync = byId('sync-status');
    const [state, text] = syncText(s);
    sync.dataset.state = state;
    sync.textContent = text;
    byId('offline').hidden = !s.offline;
    document.documentElement.classList.toggle('is-offline', s.offline);
  }
}

/** Describes the connection. */
function connectionText(s) {
  const { state, message } = s.conn;
  switch (state) {
    case 'connecting':
      return 'Connecting…';
    case 'connected': {
      if (!s.token) return `Connected to ${s.appId}.`;
      const renewal = s.secret ? ' and is renewed automatically.' : '; enter the secret again to renew it.';
      return `Connected to ${s.appId}. The token is valid until ${clock(s.token.expiresAt, true)}${renewal}`;
    }
    case 'expired':
      return 'The token has expired. Enter the API secret and Connect again.';
    case 'error':
      return `Not connected: ${message}`;
    default:
      return message || 'Not connected.';
  }
}

/** Describes the browser's copy of the gallery: [data-state, text]. */
function syncText(s) {
  const g = s.gallery;
  if (g.syncing) return ['syncing', 'Syncing…'];
  if (s.pm && g.version != null) {
    let text = `Version ${g.version} · ${g.count} ${g.count === 1 ? 'target' : 'targets'}`;
    text += g.syncedAt ? ` · synced at ${clock(g.syncedAt)}` : ' · kept on this device';
    if (g.error) text += ` · last sync failed: ${g.error}`;
    return [g.error ? 'error' : 'synced', text];
  }
  if (g.error || s.moduleError) return ['error', g.error || messageOf(s.moduleError)];
  return ['none', 'Not synced.'];
}

function clock(ms, withDate = false) {
  const d = new Date(ms);
  return withDate ? d.toLocaleString() : d.toLocaleTimeString();
}
