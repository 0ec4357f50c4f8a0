// crs.js — a client of the EasyAR Cloud Recognition (CRS) API that the
// pixmatch server speaks: the signed token request and token-authorised
// calls with the {statusCode, result, timestamp} envelope.

import { sha256Hex } from './sha256.js';
import { CrsError, OfflineError, TOKEN_CODES } from './errors.js';

/** How long a token is asked for, in seconds. */
export const TOKEN_LIFETIME = 86400;

/** How long a call may take before it counts as unanswered, in ms. */
const CALL_TIMEOUT = 60_000;

/**
 * Signs CRS parameters (crs-api.md §4.1): the parameters sorted by key,
 * key and value concatenated, the secret appended, lowercase hex SHA-256.
 * @param {Record<string, string|number>} params
 * @param {string} secret
 * @returns {Promise<string>}
 */
export function sign(params, secret) {
  const text = Object.keys(params)
    .sort()
    .map((k) => k + String(params[k]))
    .join('');
  return sha256Hex(text + secret);
}

/**
 * The access list of a token that may read and write one database.
 * @param {string} appId
 * @returns {string} the ACL as JSON text, exactly as it is signed
 */
export function readWriteACL(appId) {
  return JSON.stringify([
    { service: 'ecs:crs', resource: [appId], effect: 'Allow', permission: ['READ', 'WRITE'] },
  ]);
}

/**
 * @typedef {object} Token
 * @property {string} token the value of the Authorization header
 * @property {number} expiresAt when it expires, in ms since the epoch
 *   (by this device's clock)
 */

/**
 * Asks POST /token/v2 for a token on appId. When the server refuses the
 * timestamp, the request is signed again once with the server's clock.
 * @param {{base: string, appId: string, apiKey: string, apiSecret: string,
 *   expires?: number, clockOffset?: number}} opts
 * @returns {Promise<Token & {clockOffset: number}>}
 */
export async function requestToken({ base, appId, apiKey, apiSecret, expires = TOKEN_LIFETIME, clockOffset = 0 }) {
  for (let attempt = 0; ; attempt++) {
    const params = { apiKey, expires, acl: readWriteACL(appId), timestamp: Date.now() + clockOffset };
    const body = { ...params, signature: await sign(params, apiSecret) };
    const sent = Date.now();
    const env = await exchange(base, 'POST', '/token/v2', { body });
    if (env.statusCode === 0 && env.result && env.result.token) {
      const lifetime = Number(env.result.expires) || expires;
      return { token: env.result.token, expiresAt: sent + lifetime * 1000, clockOffset };
    }
    const clockRefused = env.statusCode === 4001012 || env.statusCode === 3;
    if (clockRefused && attempt === 0 && Number.isFinite(env.timestamp)) {
      clockOffset = env.timestamp - Date.now();
      continue;
    }
    throw new CrsError(env.statusCode, messageIn(env), env.httpStatus);
  }
}

/**
 * What a CrsClient needs from whoever holds the credentials.
 * @typedef {object} Credentials
 * @property {() => string} appId
 * @property {() => Promise<string>} token a valid token, renewed if due
 * @property {() => Promise<string|null>} renew a fresh token, or null when
 *   it cannot be renewed (no secret)
 * @property {(reachable: boolean) => void} reached told after every call
 *   whether the server answered
 */

/** A CRS API client authorised by a token. */
export class CrsClient {
  /**
   * @param {string} base the server's origin
   * @param {Credentials} creds
   */
  constructor(base, creds) {
    this.base = base;
    this.creds = creds;
  }

  /** GET path with query parameters (appId is added). */
  get(path, query = {}) {
    return this.call('GET', path, { query });
  }

  /** POST a JSON body (appId is added). */
  post(path, body = {}) {
    return this.call('POST', path, { body });
  }

  /**
   * POST a multipart body (appId is added): strings and numbers as
   * fields, bytes (a Uint8Array or Blob) as file parts.
   */
  postParts(path, parts = {}) {
    return this.call('POST', path, { form: parts });
  }

  /** PUT a JSON body (appId is added). */
  put(path, body = {}) {
    return this.call('PUT', path, { body });
  }

  /** DELETE path with query parameters (appId is added). */
  delete(path, query = {}) {
    return this.call('DELETE', path, { query });
  }

  /**
   * Sends one call and returns the envelope's result. A refused token is
   * renewed and the call sent once more.
   * @param {string} method
   * @param {string} path
   * @param {{query?: object, body?: object, form?: object}} parts
   * @returns {Promise<any>} result of a statusCode 0 answer
   * @throws {CrsError|OfflineError}
   */
  async call(method, path, { query, body, form }) {
    const appId = this.creds.appId();
    let token = await this.creds.token();
    for (let attempt = 0; ; attempt++) {
      const parts = {
        token,
        query: query && { ...query, appId },
        body: body && { ...body, appId },
        form: form && { ...form, appId },
      };
      let env;
      try {
        env = await exchange(this.base, method, path, parts);
      } catch (err) {
        if (err instanceof OfflineError) this.creds.reached(false);
        throw err;
      }
      this.creds.reached(true);
      if (env.statusCode === 0) return env.result;
      if (attempt === 0 && TOKEN_CODES.has(env.statusCode)) {
        const fresh = await this.creds.renew().catch(() => null);
        if (fresh) {
          token = fresh;
          continue;
        }
      }
      throw new CrsError(env.statusCode, messageIn(env), env.httpStatus);
    }
  }
}

/**
 * Sends a request and reads the envelope, whatever the HTTP status. An
 * answer that is not an envelope becomes statusCode -httpStatus.
 * @returns {Promise<{statusCode: number, result: any, timestamp?: number, httpStatus: number}>}
 * @throws {OfflineError} when the server does not answer
 */
async function exchange(base, method, path, { token, query, body, form } = {}) {
  const url = new URL(path, base);
  for (const [k, v] of Object.entries(query || {})) url.searchParams.set(k, String(v));
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = token;
  if (body) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: body ? JSON.stringify(body) : form ? formData(form) : undefined,
      cache: 'no-store',
      signal: AbortSignal.timeout ? AbortSignal.timeout(CALL_TIMEOUT) : undefined,
    });
  } catch (err) {
    if (err && err.name === 'TimeoutError') {
      throw new OfflineError(`The server did not answer within ${CALL_TIMEOUT / 1000} s.`);
    }
    throw new OfflineError();
  }
  let env = null;
  try {
    env = await res.json();
  } catch {
    // not JSON: handled below
  }
  if (!env || typeof env !== 'object' || typeof env.statusCode !== 'number') {
    const text = res.ok ? 'The server sent an answer that is not a CRS envelope.' : `The server answered HTTP ${res.status} ${res.statusText}.`;
    return { statusCode: -res.status, result: { message: text }, httpStatus: res.status };
  }
  return { ...env, httpStatus: res.status };
}

/** Returns a multipart body of fields: bytes as file parts named after their field. */
function formData(fields) {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (v instanceof Uint8Array) data.append(k, new Blob([v]), k);
    else if (v instanceof Blob) data.append(k, v, k);
    else data.append(k, String(v));
  }
  return data;
}

/** Returns the message of a failed envelope: result.message or result. */
function messageIn(env) {
  const r = env.result;
  if (typeof r === 'string') return r;
  if (r && typeof r.message === 'string') return r.message;
  return env.msg || '';
}

/**
 * Reads a Blob as base64 (no data: prefix).
 * @param {Blob} blob
 * @returns {Promise<string>}
 */
export function blobToBase64(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(reader.error || new Error('could not read the file'));
    reader.readAsDataURL(blob);
  });
}
