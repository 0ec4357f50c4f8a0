// errors.js — what went wrong, in words a person can act on.
//
// Every CRS statusCode the server can answer maps to a human message here
// (server/api/web's TestErrorMessages holds the keys to the catalogue in
// shared/apierror); a code the table does not know falls back to the
// server's own message.

/**
 * Human messages for the CRS statusCodes: the business table, the
 * search-only codes and the token service (STS) codes.
 * @type {Readonly<Record<number, string>>}
 */
export const CRS_MESSAGES = Object.freeze({
  0: 'OK.',
  1: 'The appId is missing or malformed. Check the appId in Settings.',
  2: 'The request signature is wrong. Check the API secret in Settings.',
  3: "The request's time is more than 5 minutes away from the server's clock. Check this device's date and time.",
  4: 'This appId does not exist, or this key may not use it. Check the appId in Settings.',
  6: 'The access token is invalid or has expired. Connect again in Settings.',
  7: 'This database is billed per daily active user and only accepts the EasyAR SDK, not this app.',
  8: 'This database is billed per daily active user and does not accept EasyAR Sense 4.6 or later.',
  17: 'No match: none of the gallery’s targets is in this picture.',
  18: 'The gallery has no active target to search. Add or activate a target first.',
  19: 'The search took too long and was abandoned. Try again.',
  20: 'The server could not read its target store. Try again later.',
  21: 'The server cannot take this now: a search limit (per second or per day) is reached, or the server is busy. Wait and try again.',
  30: 'The server failed for an unexpected reason.',
  403: 'A target with this name and this very image file is already in the gallery.',
  404: 'Target not found: it may have been deleted already.',
  414: 'A field is missing or not valid. A name needs 1–64 plain ASCII characters; the image must be a JPEG or PNG.',
  417: 'The image could not be added to the gallery.',
  419: 'A similar target is already in the gallery.',
  420: 'The target could not be deleted.',
  422: 'The image or the meta is too large: each may be at most 2 MB.',
  424: 'The target could not be activated or deactivated.',
  426: 'Too many results asked for: a search returns at most 10.',
  427: 'The image cannot be used: it is not a readable JPEG or PNG, it is too small, or it is blank (nothing in it to recognise).',
  4001011: 'The API key is not valid. Check the API key in Settings.',
  4001012: "The request's timestamp was refused: this device's clock is more than 5 minutes off.",
  4001015: 'The signature was refused. Check the API secret in Settings.',
  4001017: 'This API key is not allowed to use this appId.',
  4001018: 'The access token is damaged (not valid base64). Connect again in Settings.',
  4001019: 'The access token was not issued by this server. Connect again in Settings.',
  4001022: 'This API key gives access to no database.',
  4001024: 'The access token has expired. Connect again in Settings.',
  4001025: 'The server could not issue an access token. Try again.',
});

/** Status codes that mean the access token must be renewed. */
export const TOKEN_CODES = new Set([6, 4001018, 4001019, 4001024]);

/** The CRS statusCode of a search that found nothing. */
export const NO_RESULT = 17;

/**
 * Returns the human message for a CRS statusCode, falling back to the
 * server's message for a code the table does not know.
 * @param {number} code
 * @param {string} [serverMessage]
 * @returns {string}
 */
export function describe(code, serverMessage) {
  const known = CRS_MESSAGES[code];
  if (known) return known;
  if (serverMessage) return serverMessage;
  return `The server answered with an unknown status (${code}).`;
}

/** An error answered by the server in a CRS envelope. */
export class CrsError extends Error {
  /**
   * @param {number} code the envelope's statusCode (or -HTTP status when
   *   the answer was not an envelope)
   * @param {string} serverMessage result.message as the server sent it
   * @param {number} httpStatus
   */
  constructor(code, serverMessage, httpStatus) {
    super(describe(code, serverMessage));
    this.name = 'CrsError';
    this.code = code;
    this.serverMessage = serverMessage || '';
    this.httpStatus = httpStatus;
  }
}

/** The server could not be reached (no network, server down, timeout). */
export class OfflineError extends Error {
  /** @param {string} [message] */
  constructor(message = 'Offline: the server cannot be reached.') {
    super(message);
    this.name = 'OfflineError';
  }
}

/**
 * Reports whether err means the server could not be reached: an
 * OfflineError, a failed fetch, or the browser is offline.
 * @param {unknown} err
 * @returns {boolean}
 */
export function isOffline(err) {
  if (err instanceof OfflineError) return true;
  if (typeof navigator !== 'undefined' && navigator.onLine === false) return true;
  // A fetch that never reached the server, here or in the recognition
  // module's worker (whose errors arrive as plain Errors).
  const message = err && typeof err === 'object' ? String(err.message || '') : String(err);
  return /failed to fetch|networkerror|load failed|network error|network request failed/i.test(message);
}

/** The CRS statusCode of a picture the server cannot use. */
export const IMAGE_NOT_CORRECT = 427;

/** What a blank picture is called. */
export const BLANK = 'The picture is blank: there is nothing in it to recognise.';
/** What a file that does not decode is called. */
export const UNDECODABLE = 'The file does not decode: it is damaged or not a picture.';

/**
 * A picture that cannot be recognised, as this browser finds it: code
 * 'content' when it is blank (the recognition module finds nothing in
 * it), 'decode' when the file does not decode.
 */
export class PictureError extends Error {
  /**
   * @param {'content'|'decode'} code
   * @param {unknown} [cause] the error that revealed it
   */
  constructor(code, cause) {
    super(code === 'content' ? BLANK : UNDECODABLE, cause ? { cause } : undefined);
    this.name = 'PictureError';
    this.code = code;
  }
}

/**
 * Reports whether err says the picture has nothing to recognise (blank
 * or flat, a covered lens): no match rather than a failure. The
 * recognition module's errors say so with the same code.
 * @param {unknown} err
 * @returns {boolean}
 */
export function isBlankPicture(err) {
  return Boolean(err && typeof err === 'object' && err.code === 'content');
}

/**
 * Reports whether err says the file does not decode as a picture.
 * @param {unknown} err
 * @returns {boolean}
 */
export function isUndecodable(err) {
  return Boolean(err && typeof err === 'object' && err.code === 'decode');
}

/**
 * Returns the error to show for err, given what this browser found in the
 * picture ('content', 'decode', or '' for nothing wrong or not known):
 * the server answers statusCode 427 alike for a blank picture and a
 * damaged file, and the browser can tell which.
 * @param {unknown} err
 * @param {string} found
 * @returns {unknown}
 */
export function explainPicture(err, found) {
  const refused = err instanceof CrsError && err.code === IMAGE_NOT_CORRECT;
  return refused && (found === 'content' || found === 'decode') ? new PictureError(found, err) : err;
}

/**
 * Returns a one-line message for any error, with its code when it is a
 * CRS error ("… (code 419)").
 * @param {unknown} err
 * @returns {string}
 */
export function messageOf(err) {
  if (err instanceof CrsError) {
    return err.code > 0 ? `${err.message} (code ${err.code})` : err.message;
  }
  if (isBlankPicture(err)) return BLANK;
  if (isUndecodable(err)) return UNDECODABLE;
  if (isOffline(err)) return new OfflineError().message;
  if (err && typeof err === 'object') {
    // Errors of the recognition module may carry a CRS statusCode.
    const code = Number(err.statusCode ?? err.code);
    if (Number.isInteger(code) && code !== 0 && CRS_MESSAGES[code]) {
      return `${CRS_MESSAGES[code]} (code ${code})`;
    }
    if (err.message) return String(err.message);
  }
  return String(err);
}
