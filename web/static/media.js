// media.js — turns whatever picture the user gives (a photo, a paste, a
// drop) into an upload the CRS API accepts: a JPEG or PNG of at most 2 MB.

import { PictureError } from './errors.js';

/** The largest image file the CRS API accepts, in bytes. */
export const MAX_IMAGE_BYTES = 2 * 1024 * 1024;

/**
 * Returns the picture's format from its first bytes: 'image/jpeg',
 * 'image/png', or '' for anything else.
 * @param {Blob} blob
 * @returns {Promise<string>}
 */
export async function sniffType(blob) {
  const head = new Uint8Array(await blob.slice(0, 8).arrayBuffer());
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.every((b, i) => head[i] === b)) return 'image/png';
  return '';
}

/**
 * Returns blob unchanged when it is a JPEG or PNG within the size limit;
 * otherwise the picture re-encoded as a JPEG (upright, scaled down until it
 * fits). Throws a PictureError (code 'decode') for a file that is
 * neither, and does not decode.
 * @param {Blob} blob
 * @param {{maxBytes?: number, maxSide?: number}} [opts]
 * @returns {Promise<Blob>}
 */
export async function uploadable(blob, { maxBytes = MAX_IMAGE_BYTES, maxSide = 2048 } = {}) {
  const type = await sniffType(blob);
  if (type && blob.size <= maxBytes) return blob;
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch (err) {
    // Neither a JPEG or PNG to send as it is, nor a picture to convert.
    throw new PictureError('decode', err);
  }
  try {
    let side = Math.min(maxSide, Math.max(bitmap.width, bitmap.height));
    for (;;) {
      const out = await encodeJPEG(bitmap, side, 0.9);
      if (out.size <= maxBytes || side <= 256) return out;
      side = Math.round(side * 0.75);
    }
  } finally {
    bitmap.close();
  }
}

/**
 * Draws bitmap with its longer side at most `side` pixels and encodes it
 * as a JPEG.
 * @returns {Promise<Blob>}
 */
async function encodeJPEG(bitmap, side, quality) {
  const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
  const w = Math.max(1, Math.round(bitmap.width * scale));
  const h = Math.max(1, Math.round(bitmap.height * scale));
  if (typeof OffscreenCanvas !== 'undefined') {
    const canvas = new OffscreenCanvas(w, h);
    canvas.getContext('2d').drawImage(bitmap, 0, 0, w, h);
    return canvas.convertToBlob({ type: 'image/jpeg', quality });
  }
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  canvas.getContext('2d').drawImage(bitmap, 0, 0, w, h);
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('could not encode the picture'))), 'image/jpeg', quality),
  );
}

/**
 * Returns the first image file among a DataTransfer's files or items (a
 * drop or a paste), or null.
 * @param {DataTransfer|null} dt
 * @returns {File|null}
 */
export function imageFrom(dt) {
  if (!dt) return null;
  for (const f of Array.from(dt.files || [])) {
    if (!f.type || f.type.startsWith('image/')) return f;
  }
  for (const item of Array.from(dt.items || [])) {
    if (item.kind === 'file' && item.type.startsWith('image/')) {
      const f = item.getAsFile();
      if (f) return f;
    }
  }
  return null;
}

/**
 * Derives a valid target name (1–64 printable ASCII characters) from a
 * file name: the extension dropped, other characters replaced by '-'.
 * @param {string} fileName
 * @returns {string}
 */
export function nameFromFile(fileName) {
  const base = String(fileName || '').replace(/\.[^.]*$/, '');
  const ascii = base.replace(/[^\x20-\x7e]+/g, '-').replace(/^-+|-+$/g, '').trim();
  return (ascii || 'target').slice(0, 64);
}

/**
 * Explains why a name is not a valid CRS target name, or returns ''.
 * @param {string} name
 * @returns {string}
 */
export function nameProblem(name) {
  if (!name) return 'Give the target a name.';
  if (name.length > 64) return 'A name has at most 64 characters.';
  if (/[^\x20-\x7e]/.test(name)) return 'A name may use only plain ASCII letters, digits, spaces and punctuation.';
  return '';
}
