// gallery.js — the Gallery tab: the targets a page at a time (GET
// /targets/infos, the total from /targets/count), with buttons to edit,
// activate or deactivate and delete each, and beside them the add form
// and "Add many" (bulk-add.js). After every change the browser's copy is
// synced, so recognition in the browser follows. Offline, the tab counts
// the targets of that copy.

import { byId, decodeMeta, el, notify, whileBusy } from './ui.js';
import { isOffline, messageOf } from './errors.js';
import { TargetForm } from './target-form.js';
import { TargetEditor } from './target-editor.js';
import { BulkAdd } from './bulk-add.js';

/** Targets per page of the list. */
export const PAGE_SIZE = 12;

/** The Gallery tab. */
export class GalleryPanel {
  /** @param {import('./session.js').Session} session */
  constructor(session) {
    this.session = session;
    this.list = byId('targets');
    this.count = byId('count');
    this.prev = /** @type {HTMLButtonElement} */ (byId('page-prev'));
    this.next = /** @type {HTMLButtonElement} */ (byId('page-next'));
    this.pageInfo = byId('page-info');
    this.form = new TargetForm(session, () => this.changed());
    this.editor = new TargetEditor(session, () => this.changed());
    this.bulk = new BulkAdd(session, () => this.changed());
    this.visible = false;
    this.shownFor = ''; // the appId the list was loaded for
    this.page = 1;
    this.total = 0;
    this.loads = 0;
    this.offline = false; // whether the server could not be reached: the count is the browser's
    /** @type {Map<string, any>} the targets of the page shown, by id */
    this.onPage = new Map();
    this.bind();
  }

  show() {
    this.visible = true;
    this.refresh();
  }

  hide() {
    this.visible = false;
  }

  /**
   * Takes a pasted picture as the image of the next target.
   * @param {File} file
   */
  useFile(file) {
    this.form.useFile(file);
  }

  bind() {
    this.prev.addEventListener('click', () => {
      if (this.page > 1) this.turn(this.page - 1);
    });
    this.next.addEventListener('click', () => this.turn(this.page + 1));
    this.list.addEventListener('click', (e) => this.act(e));
    // A new connection (or another appId) shows its own gallery; a server
    // that is back shows the list again.
    this.session.addEventListener('change', () => {
      const s = this.session;
      const news = !s.offline || (s.gallery.count != null && s.gallery.count !== this.total);
      if (this.offline && this.visible && news) this.refresh();
      if (s.conn.state !== 'connected' || s.appId === this.shownFor) return;
      this.page = 1;
      if (this.visible) this.refresh();
    });
  }

  turn(page) {
    this.page = page;
    this.refresh();
  }

  /** Loads the count and the current page. Never rejects. */
  async refresh() {
    const mine = ++this.loads;
    const { session } = this;
    if (!session.token) {
      this.render([], 'Connect in Settings to see the gallery.');
      return;
    }
    this.shownFor = session.appId;
    try {
      const [counted, listed] = await Promise.all([
        session.crs.get('/targets/count'),
        session.crs.get('/targets/infos', { pageNum: this.page, pageSize: PAGE_SIZE }),
      ]);
      if (mine !== this.loads) return;
      this.total = Number(counted.count) || 0;
      const pages = Math.max(1, Math.ceil(this.total / PAGE_SIZE));
      if (this.page > pages) {
        this.page = pages; // the last page emptied: show the one before
        await this.refresh();
        return;
      }
      this.offline = false;
      this.render(listed.targets || [], this.total ? '' : 'No targets yet: add one above.');
    } catch (err) {
      if (mine !== this.loads) return;
      this.offline = isOffline(err);
      const held = session.gallery.count;
      if (!this.offline || held == null) {
        this.render([], messageOf(err));
        return;
      }
      // The list needs the server; the count is the synced copy's.
      this.total = held;
      const n = `${held} ${held === 1 ? 'target' : 'targets'}`;
      this.render([], `Offline: the list needs the server. This browser holds ${n} (version ${session.gallery.version}) and recognises them.`);
    }
  }

  render(targets, note) {
    this.onPage = new Map(targets.map((t) => [t.targetId, t]));
    this.list.replaceChildren(...targets.map((t) => this.row(t)));
    if (note) this.list.append(el('li', { class: 'note muted', text: note }));
    const pages = this.offline ? 1 : Math.max(1, Math.ceil(this.total / PAGE_SIZE));
    this.count.textContent = String(this.total);
    this.pageInfo.textContent = this.offline ? 'in this browser' : `Page ${this.page} of ${pages}`;
    this.prev.disabled = this.offline || this.page <= 1;
    this.next.disabled = this.page >= pages;
  }

  /** One target of the list: .target[data-id] with .name and its buttons. */
  row(t) {
    const active = String(t.active) !== '0';
    const img = el('img', { class: 'thumb', alt: '', loading: 'lazy', width: 64, height: 64 });
    this.session.thumbnail(t.targetId).then((url) => {
      if (url) img.src = url;
    });
    const meta = decodeMeta(t.meta);
    return el(
      'li',
      { class: `target${active ? '' : ' is-inactive'}`, dataset: { id: t.targetId, active: active ? '1' : '0' } },
      img,
      el(
        'div',
        { class: 'target-text' },
        el('span', { class: 'name', text: t.name }),
        active ? null : el('span', { class: 'badge', text: 'inactive' }),
        meta ? el('span', { class: 'meta', text: meta.length > 120 ? `${meta.slice(0, 117)}…` : meta }) : null,
      ),
      el(
        'div',
        { class: 'actions' },
        el('button', { type: 'button', class: 'edit secondary', text: 'Edit' }),
        el('button', { type: 'button', class: 'toggle secondary', text: active ? 'Deactivate' : 'Activate' }),
        el('button', { type: 'button', class: 'delete danger', text: 'Delete' }),
      ),
    );
  }

  /** Runs the button clicked in a row. */
  act(e) {
    const button = /** @type {HTMLElement} */ (e.target).closest('button');
    const item = button && button.closest('.target');
    const t = item && this.onPage.get(item.dataset.id);
    if (!t) return;
    let action = null;
    if (button.classList.contains('edit')) action = () => this.editor.open(t);
    else if (button.classList.contains('toggle')) action = () => this.toggle(t);
    else if (button.classList.contains('delete')) action = () => this.remove(t);
    if (action) whileBusy(/** @type {HTMLButtonElement} */ (button), async () => action()).catch((err) => notify(messageOf(err), 'error'));
  }

  async toggle(t) {
    const active = String(t.active) === '0' ? '1' : '0';
    await this.session.crs.put(`/target/${encodeURIComponent(t.targetId)}`, { active });
    notify(`“${t.name}” is now ${active === '1' ? 'active' : 'inactive'}.`);
    this.changed();
  }

  async remove(t) {
    if (!confirm(`Delete the target “${t.name}”? This cannot be undone.`)) return;
    await this.session.crs.delete(`/target/${encodeURIComponent(t.targetId)}`);
    this.session.forgetTarget(t.targetId);
    notify(`Deleted “${t.name}”.`);
    this.changed();
  }

  /**
   * Syncs the browser's copy and reloads the list after a change. Callers
   * do not wait for it: the buttons are free again as soon as the server
   * has taken the change, and a search waits for the sync by itself.
   */
  changed() {
    this.session.sync().catch((err) => notify(`Sync failed: ${messageOf(err)}`, 'error'));
    this.refresh();
  }
}
