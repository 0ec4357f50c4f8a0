// target-form.js — the "Add a target" form of the Gallery tab. Before a
// target is added, the picture is graded (POST /grade/detection) and
// compared with the gallery (POST /similar); similar targets are shown
// with an "Add anyway" button instead of adding. The button is not
// offered when the add would be refused as a duplicate: the server
// refuses (403) only a target with the same name and the same image file,
// which /similar lists with a score of 1; the form then asks for another
// name. A picture the server cannot use (427) is called what this
// browser finds it is: blank, or a file that does not decode.

import { byId, el, formatScore, notify, whileBusy } from './ui.js';
import { blobToBase64 } from './crs.js';
import { BLANK, CrsError, explainPicture, messageOf } from './errors.js';
import { nameFromFile, nameProblem, uploadable } from './media.js';

/** What each detection grade means. */
const GRADES = {
  '-1': 'bad image: it cannot be recognised',
  0: 'excellent: very easy to recognise',
  1: 'good: easy to recognise',
  2: 'fair',
  3: 'poor: hard to recognise',
  4: 'very poor: very hard to recognise',
};

/** The CRS statusCode of a write refused because a similar target exists. */
const SIMILAR_EXISTS = 419;
/** The CRS statusCode of a write refused because the same target exists. */
const TARGET_EXISTS = 403;

/** The add form. */
export class TargetForm {
  /**
   * @param {import('./session.js').Session} session
   * @param {() => unknown} onAdded runs after a target was added
   */
  constructor(session, onAdded) {
    this.session = session;
    this.onAdded = onAdded;
    this.form = byId('add-form');
    this.file = /** @type {HTMLInputElement} */ (byId('add-file'));
    this.name = /** @type {HTMLInputElement} */ (byId('add-name'));
    this.meta = /** @type {HTMLTextAreaElement} */ (byId('add-meta'));
    this.active = /** @type {HTMLInputElement} */ (byId('add-active'));
    this.submit = /** @type {HTMLButtonElement} */ (byId('add-submit'));
    this.grade = byId('add-grade');
    this.warning = byId('similar-warning');
    this.anyway = /** @type {HTMLButtonElement} */ (byId('add-anyway'));
    /** The fields of an add held back by the similarity warning. */
    this.held = null;
    /** The chosen file's base64 and grade, asked for once per file. */
    this.prepared = null;
    this.bind();
  }

  bind() {
    this.file.addEventListener('change', () => {
      this.release();
      const file = this.chosen();
      if (!file) return;
      if (!this.name.value.trim()) this.name.value = nameFromFile(file.name);
      if (this.session.token) this.prepare(file);
    });
    // Changing the fields voids a held add: it would add what is no longer shown.
    for (const field of [this.name, this.meta, this.active]) {
      field.addEventListener('input', () => this.release());
    }
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      whileBusy(this.submit, () => this.add()).catch((err) => notify(messageOf(err), 'error'));
    });
    this.anyway.addEventListener('click', () => {
      if (!this.held) return;
      const fields = this.held;
      whileBusy(this.anyway, () => this.create(fields, true)).catch((err) => notify(messageOf(err), 'error'));
    });
  }

  /** Returns the chosen image file, or null. */
  chosen() {
    return (this.file.files && this.file.files[0]) || null;
  }

  /**
   * Takes a pasted picture as the image of the next target.
   * @param {File} file
   */
  useFile(file) {
    try {
      const dt = new DataTransfer();
      dt.items.add(file);
      this.file.files = dt.files;
      this.file.dispatchEvent(new Event('change'));
    } catch {
      notify('This browser cannot take a pasted picture here; choose a file instead.', 'error');
    }
  }

  /**
   * Starts reading the file as base64 and grading it, and asks this
   * browser what is wrong with the picture, if anything; shows the grade.
   * @param {File} file
   * @returns {{file: File, image: Promise<string>, grade: Promise<number>, found: Promise<string>}}
   */
  prepare(file) {
    if (this.prepared && this.prepared.file === file) return this.prepared;
    const image = uploadable(file).then(blobToBase64);
    const grade = image
      .then((data) => this.session.crs.post('/grade/detection', { image: data }))
      .then((r) => Number(r.grade));
    const found = this.session.inspect(file);
    const prepared = { file, image, grade, found };
    this.prepared = prepared;
    this.showGrade('busy', 'Grading the image…');
    Promise.allSettled([grade, found]).then(async ([g]) => {
      if (this.prepared !== prepared) return;
      if ((await found) === 'content') this.showGrade('warn', BLANK, g.value);
      else if (g.status === 'rejected') this.showGrade('error', `No grade: ${messageOf(explainPicture(g.reason, await found))}`);
      else this.showGrade(g.value < 0 || g.value >= 3 ? 'warn' : 'ok', `Grade ${g.value}: ${GRADES[g.value] || 'unknown'}`, g.value);
    });
    return prepared;
  }

  /** Shows the grade line (#add-grade, with data-grade when known). */
  showGrade(state, text, grade) {
    this.grade.dataset.state = state;
    if (grade === undefined) delete this.grade.dataset.grade;
    else this.grade.dataset.grade = String(grade);
    this.grade.textContent = text;
  }

  /** Checks the fields, grades, looks for similar targets, then adds. */
  async add() {
    this.release();
    const file = this.chosen();
    if (!file) throw new Error('Choose an image for the target.');
    const name = this.name.value.trim();
    const problem = nameProblem(name);
    if (problem) throw new Error(problem);
    const p = this.prepare(file);
    let fields;
    let similar;
    try {
      const image = await p.image;
      fields = { image, name, meta: this.meta.value, active: this.active.checked ? '1' : '0' };
      [similar] = await Promise.all([this.session.crs.post('/similar', { image }), p.grade.catch(() => null)]);
    } catch (err) {
      throw explainPicture(err, await p.found);
    }
    const hits = (similar && similar.results) || [];
    if (hits.some((t) => t.name === name && Number(t.score) >= 1)) {
      // The same picture under the same name: adding it anyway would be
      // refused as a duplicate (403).
      this.hold(null, hits, exists(name));
      return;
    }
    if (hits.length) {
      this.hold(fields, hits, `${hits.length === 1 ? 'A similar target is' : 'Similar targets are'} already in the gallery:`);
      return;
    }
    await this.create(fields, false);
  }

  /**
   * Adds a target (POST /targets); force adds it despite similar ones.
   * @param {{image: string, name: string, meta: string, active: string}} fields
   * @param {boolean} force
   */
  async create(fields, force) {
    let added;
    try {
      added = await this.session.crs.post('/targets', {
        ...fields,
        size: '20',
        type: 'ImageTarget',
        allowSimilar: force ? '1' : '0',
      });
    } catch (err) {
      if (err instanceof CrsError && err.code === SIMILAR_EXISTS) {
        this.hold(fields, [], `${err.message} Add it anyway?`);
        return;
      }
      if (err instanceof CrsError && err.code === TARGET_EXISTS) {
        await this.showExisting(fields);
        return;
      }
      throw explainPicture(err, this.prepared ? await this.prepared.found : '');
    }
    this.release();
    this.file.value = '';
    this.name.value = '';
    this.meta.value = '';
    this.active.checked = true;
    this.prepared = null; // the grade shown stays, for the target just added
    notify(`Added “${added.name || fields.name}”.`);
    this.onAdded();
  }

  /**
   * Holds an add back and shows the similar targets, with "Add anyway"
   * when fields may be added anyway (null: they may not).
   */
  hold(fields, targets, text) {
    this.held = fields;
    this.anyway.hidden = !fields;
    this.warning.querySelector('.warning-text').textContent = text;
    this.warning.querySelector('.similar-list').replaceChildren(...targets.map((t) => this.similarItem(t)));
    this.warning.hidden = false;
  }

  /** Shows the target the server refused the add for (403): the same name and file. */
  async showExisting(fields) {
    const similar = await this.session.crs.post('/similar', { image: fields.image }).catch(() => null);
    const same = ((similar && similar.results) || []).filter((t) => t.name === fields.name);
    this.hold(null, same, exists(fields.name));
  }

  similarItem(t) {
    const img = el('img', { class: 'thumb', alt: '', width: 48, height: 48 });
    this.session.thumbnail(t.targetId).then((url) => {
      if (url) img.src = url;
    });
    const score = t.score != null ? ` · ${formatScore(t.score)}` : '';
    return el('li', { class: 'similar', dataset: { id: t.targetId } }, img, el('span', { class: 'name', text: t.name + score }));
  }

  /** Drops a held add and hides the warning. */
  release() {
    this.held = null;
    this.warning.hidden = true;
  }
}

/** Says that a target of this name already holds the picture, and what to do. */
function exists(name) {
  return `“${name}” is already in the gallery with this picture. To add the picture again, give it another name.`;
}
