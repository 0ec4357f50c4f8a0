// target-editor.js — the Gallery tab's edit dialog: a target's name,
// meta, active flag and, optionally, a new image (PUT /target/{id}).

import { byId, notify, whileBusy } from './ui.js';
import { blobToBase64 } from './crs.js';
import { CrsError, messageOf } from './errors.js';
import { nameProblem, uploadable } from './media.js';

/** The CRS statusCode of a write refused because a similar target exists. */
const SIMILAR_EXISTS = 419;

/** The edit dialog. */
export class TargetEditor {
  /**
   * @param {import('./session.js').Session} session
   * @param {() => unknown} onSaved runs after a target was changed
   */
  constructor(session, onSaved) {
    this.session = session;
    this.onSaved = onSaved;
    this.dialog = /** @type {HTMLDialogElement} */ (byId('edit-dialog'));
    this.name = /** @type {HTMLInputElement} */ (byId('edit-name'));
    this.meta = /** @type {HTMLTextAreaElement} */ (byId('edit-meta'));
    this.active = /** @type {HTMLInputElement} */ (byId('edit-active'));
    this.file = /** @type {HTMLInputElement} */ (byId('edit-file'));
    this.save = /** @type {HTMLButtonElement} */ (byId('edit-save'));
    this.error = byId('edit-error');
    this.target = null;

    byId('edit-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.error.hidden = true;
      whileBusy(this.save, () => this.submit()).catch((err) => {
        this.error.textContent = messageOf(err);
        this.error.hidden = false;
      });
    });
    byId('edit-cancel').addEventListener('click', () => this.close());
  }

  /**
   * Opens the dialog on a target as GET /targets/infos lists it.
   * @param {{targetId: string, name: string, meta: string, active: string}} t
   */
  open(t) {
    this.target = t;
    this.name.value = t.name || '';
    this.meta.value = t.meta || '';
    this.active.checked = String(t.active) !== '0';
    this.file.value = '';
    this.error.hidden = true;
    if (typeof this.dialog.showModal === 'function') this.dialog.showModal();
    else this.dialog.setAttribute('open', '');
    this.name.focus();
  }

  close() {
    if (typeof this.dialog.close === 'function') this.dialog.close();
    else this.dialog.removeAttribute('open');
  }

  /** Sends the changes; a refusal for similarity may be overridden. */
  async submit() {
    const name = this.name.value.trim();
    const problem = nameProblem(name);
    if (problem) throw new Error(problem);
    const id = this.target.targetId;
    const path = `/target/${encodeURIComponent(id)}`;
    const body = { name, meta: this.meta.value, active: this.active.checked ? '1' : '0' };
    const picked = this.file.files && this.file.files[0];
    if (picked) body.image = await blobToBase64(await uploadable(picked));
    try {
      await this.session.crs.put(path, body);
    } catch (err) {
      const similar = err instanceof CrsError && err.code === SIMILAR_EXISTS;
      if (!similar || !confirm(`${err.message} Save anyway?`)) throw err;
      await this.session.crs.put(path, { ...body, allowSimilar: '1' });
    }
    if (picked) this.session.forgetTarget(id);
    this.close();
    notify(`Saved “${name}”.`);
    this.onSaved();
  }
}
