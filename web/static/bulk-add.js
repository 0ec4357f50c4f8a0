// bulk-add.js — "Add many" on the Gallery tab: many pictures at once,
// chosen (files, or a whole folder) or dropped (files and folders). Each
// file becomes a target named after it (nameFromFile), active, with no
// meta; BULK_CLIENTS are uploaded at a time (POST /targets). The list
// shows every file as pending, sending, added, or refused with the
// reason. Pictures refused as similar to a target already in the gallery
// (419) are gathered under a warning with the targets they look like
// (POST /similar), and "Add these anyway" sends them again with
// allowSimilar "1". The run ends with a summary: N added, M refused.
// Files and folders whose names start with "." are left out.

import { byId, el, formatScore, whileBusy, notify } from './ui.js';
import { blobToBase64 } from './crs.js';
import { CrsError, explainPicture, messageOf } from './errors.js';
import { nameFromFile, uploadable } from './media.js';

/** Uploads in flight at once. */
export const BULK_CLIENTS = 3;

/** The CRS statusCode of a create refused because a similar target exists. */
const SIMILAR_EXISTS = 419;

/** The Gallery tab's bulk add. */
export class BulkAdd {
  /**
   * @param {import('./session.js').Session} session
   * @param {() => unknown} onAdded runs after a run added targets
   */
  constructor(session, onAdded) {
    this.session = session;
    this.onAdded = onAdded;
    this.drop = byId('bulk-drop');
    this.files = /** @type {HTMLInputElement} */ (byId('bulk-files'));
    this.folder = /** @type {HTMLInputElement} */ (byId('bulk-folder'));
    this.list = byId('bulk-list');
    this.summary = byId('bulk-summary');
    this.warning = byId('bulk-warning');
    this.anyway = /** @type {HTMLButtonElement} */ (byId('bulk-anyway'));
    /** @type {{file: File, name: string, item: HTMLElement}[]} refused as similar, to add anyway */
    this.similar = [];
    this.running = false;
    this.bind();
  }

  bind() {
    for (const input of [this.files, this.folder]) {
      input.addEventListener('change', () => {
        const chosen = Array.from(input.files || []);
        input.value = '';
        this.start(chosen);
      });
    }
    this.drop.addEventListener('dragover', (e) => {
      e.preventDefault();
      this.drop.classList.add('is-over');
    });
    this.drop.addEventListener('dragleave', () => this.drop.classList.remove('is-over'));
    this.drop.addEventListener('drop', (e) => {
      e.preventDefault();
      this.drop.classList.remove('is-over');
      droppedFiles(e.dataTransfer).then((files) => this.start(files));
    });
    this.anyway.addEventListener('click', () => {
      const again = this.similar;
      whileBusy(this.anyway, () => this.run(again, true)).catch((err) => notify(messageOf(err), 'error'));
    });
  }

  /** Starts a run of the files, unless one runs. */
  start(files) {
    const pictures = files.filter((f) => !hidden(f));
    if (!pictures.length) return;
    if (this.running) {
      notify('Wait for the pictures being added to finish.', 'error');
      return;
    }
    if (!this.session.token) {
      notify('Connect in Settings to add targets.', 'error');
      return;
    }
    this.similar = [];
    this.warning.hidden = true;
    this.warning.querySelector('.similar-list').replaceChildren();
    const jobs = pictures.map((file) => ({ file, name: nameFromFile(file.name), item: this.item(file) }));
    this.list.replaceChildren(...jobs.map((j) => j.item));
    this.run(jobs, false).catch((err) => notify(messageOf(err), 'error'));
  }

  /**
   * Uploads the jobs, BULK_CLIENTS at a time; force sends allowSimilar "1".
   * @param {{file: File, name: string, item: HTMLElement}[]} jobs
   * @param {boolean} force
   */
  async run(jobs, force) {
    this.running = true;
    this.summary.textContent = `Adding ${jobs.length} ${jobs.length === 1 ? 'picture' : 'pictures'}…`;
    if (force) {
      this.similar = [];
      this.warning.hidden = true;
      for (const j of jobs) mark(j.item, 'pending', 'pending');
    }
    let next = 0;
    const counts = { added: 0, refused: 0 };
    const worker = async () => {
      while (next < jobs.length) {
        const job = jobs[next++];
        counts[await this.one(job, force)]++;
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(BULK_CLIENTS, jobs.length) }, worker));
    } finally {
      this.running = false;
    }
    this.summary.dataset.added = String(counts.added);
    this.summary.dataset.refused = String(counts.refused);
    this.summary.textContent = `${counts.added} added, ${counts.refused} refused.`;
    if (this.similar.length) this.showSimilar();
    if (counts.added) this.onAdded();
  }

  /**
   * Uploads one picture and marks its line.
   * @returns {Promise<'added'|'refused'>}
   */
  async one(job, force) {
    mark(job.item, 'sending', 'sending…');
    try {
      const image = await uploadable(job.file).then(blobToBase64);
      await this.session.crs.post('/targets', {
        image,
        name: job.name,
        size: '20',
        type: 'ImageTarget',
        active: '1',
        allowSimilar: force ? '1' : '0',
      });
      mark(job.item, 'added', 'added');
      return 'added';
    } catch (err) {
      if (err instanceof CrsError && err.code === SIMILAR_EXISTS) {
        this.similar.push(job);
        mark(job.item, 'refused', 'refused: similar to a target already in the gallery (code 419)');
        return 'refused';
      }
      const found = err instanceof CrsError ? await this.session.inspect(job.file) : '';
      mark(job.item, 'refused', `refused: ${messageOf(explainPicture(err, found))}`);
      return 'refused';
    }
  }

  /** Shows the pictures refused as similar, each with what it looks like. */
  showSimilar() {
    const rows = this.similar.map((job) => {
      const like = el('span', { class: 'muted' });
      const row = el('li', { class: 'similar', dataset: { file: job.file.name } }, el('span', { class: 'name', text: job.name }), like);
      blobToBase64(job.file)
        .then((image) => this.session.crs.post('/similar', { image }))
        .then((r) => {
          const hits = (r && r.results) || [];
          like.textContent = hits.length ? `looks like ${hits.map((t) => `${t.name} · ${formatScore(t.score)}`).join(', ')}` : '';
        })
        .catch(() => {});
      return row;
    });
    this.warning.querySelector('.similar-list').replaceChildren(...rows);
    this.warning.querySelector('.warning-text').textContent =
      `${rows.length === 1 ? 'One picture was' : `${rows.length} pictures were`} refused as similar to targets already in the gallery:`;
    this.warning.hidden = false;
  }

  /** A line of the list for a file, pending. */
  item(file) {
    const status = el('span', { class: 'bulk-status', text: 'pending' });
    return el(
      'li',
      { class: 'bulk-item', dataset: { file: file.name, state: 'pending' } },
      el('span', { class: 'name', text: file.webkitRelativePath || file.name }),
      status,
    );
  }
}

/** Sets a line's state (data-state) and the text of its status. */
function mark(item, state, text) {
  item.dataset.state = state;
  item.querySelector('.bulk-status').textContent = text;
}

/** Reports whether a file, or a folder on its path, is hidden (a name starting with "."). */
function hidden(file) {
  return (file.webkitRelativePath || file.name).split('/').some((part) => part.startsWith('.'));
}

/**
 * The files of a drop, the files inside dropped folders included.
 * @param {DataTransfer|null} dt
 * @returns {Promise<File[]>}
 */
async function droppedFiles(dt) {
  if (!dt) return [];
  const entries = Array.from(dt.items || [])
    .map((item) => (item.kind === 'file' && item.webkitGetAsEntry ? item.webkitGetAsEntry() : null))
    .filter(Boolean);
  if (!entries.length) return Array.from(dt.files || []);
  const files = [];
  const walk = async (entry) => {
    if (entry.name.startsWith('.')) return;
    if (entry.isFile) {
      files.push(await new Promise((resolve, reject) => entry.file(resolve, reject)));
      return;
    }
    const reader = entry.createReader();
    for (;;) {
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (!batch.length) return;
      for (const e of batch) await walk(e);
    }
  };
  for (const e of entries) await walk(e);
  return files;
}
