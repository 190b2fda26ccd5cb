// JSON API client. Sends Accept-Language for the chosen UI language and, on every
// state-changing request, X-CSRF-Token read from the exosafe_csrf cookie (fetched first from
// GET /api/v1/auth/csrf when the cookie is absent). Failures throw ApiError.

import { currentLang, t } from './i18n.js';

const CSRF_COOKIE = 'exosafe_csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * An API failure: status (0 when the server was not reached), code, message, field, fields
 * (every bad field of a refused form: [{field, code, message}], or null), items
 * (the per-item errors of invalid questionnaire answers: [{link_id, reason, message}], or null),
 * missing (the release tests a lot still lacks, on tests_missing, or null) and, on bad_readings,
 * file, line, reason (in the language of the request), reasons ({ja, en}) and reasonCode (the
 * logger file and line that could not be used, and why; else null).
 */
export class ApiError extends Error {
  constructor({ status, code, message, field, fields, items, missing, file, line, reason, reasonCode, reasons }) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field ?? null;
    this.fields = Array.isArray(fields) ? fields.filter((f) => f && typeof f.field === 'string') : null;
    this.items = Array.isArray(items) ? items : null;
    this.missing = Array.isArray(missing) ? missing : null;
    this.file = typeof file === 'string' ? file : null;
    this.line = Number.isInteger(line) ? line : null;
    this.reason = typeof reason === 'string' ? reason : null;
    this.reasonCode = typeof reasonCode === 'string' ? reasonCode : null;
    this.reasons = reasons && typeof reasons === 'object' ? reasons : null;
  }
}

/** Returns the value of cookie name, or null when it is not set. */
export function readCookie(name) {
  for (const part of document.cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return part.slice(eq + 1).trim();
      }
    }
  }
  return null;
}

async function send(method, path, body, csrfToken, raw) {
  const headers = { Accept: 'application/json', 'Accept-Language': currentLang() };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (raw) {
    headers['Content-Type'] = raw.type;
    init.body = raw.bytes;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (csrfToken) headers['X-CSRF-Token'] = csrfToken;

  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError({ status: 0, code: 'network', message: t('error.network') });
  }

  let data = null;
  const type = response.headers.get('Content-Type') ?? '';
  if (type.includes('application/json')) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const error = data && typeof data.error === 'object' && data.error !== null ? data.error : {};
    throw new ApiError({
      status: response.status,
      code: typeof error.code === 'string' ? error.code : `http_${response.status}`,
      message: typeof error.message === 'string' && error.message ? error.message : t('error.generic'),
      field: typeof error.field === 'string' ? error.field : null,
      fields: error.fields,
      items: error.items,
      missing: error.missing,
      file: error.file,
      line: error.line,
      reason: error.reason,
      reasonCode: error.reason_code,
      reasons: error.reasons,
    });
  }
  return data ?? {};
}

async function freshCsrfToken() {
  const data = await send('GET', '/api/v1/auth/csrf');
  return readCookie(CSRF_COOKIE) ?? data.csrf_token ?? null;
}

/**
 * Calls the API: method and path (e.g. '/api/v1/me'), body an object sent as JSON.
 * Returns the parsed JSON answer; throws ApiError with {status, code, message, field}.
 */
export async function api(method, path, body) {
  const verb = method.toUpperCase();
  if (SAFE_METHODS.has(verb)) return send(verb, path, undefined, null);

  let token = readCookie(CSRF_COOKIE) ?? (await freshCsrfToken());
  const payload = body ?? {};
  try {
    return await send(verb, path, payload, token);
  } catch (error) {
    // A stale token cookie (e.g. left from an expired session): fetch a new one, try once more.
    if (!(error instanceof ApiError) || error.code !== 'csrf_failed') throw error;
    token = await freshCsrfToken();
    return send(verb, path, payload, token);
  }
}

/**
 * Sends a file's raw bytes (a File or Blob) with POST to path, Content-Type type when given, else
 * the file's own type (application/octet-stream when the browser does not know it), with the
 * CSRF token like api(). Returns the parsed JSON answer; throws ApiError (e.g. 415
 * unsupported_media_type, 413 body_too_large, 400 bad_readings with file, line and reason).
 */
export async function apiUpload(path, file, type) {
  const raw = { bytes: file, type: type || file.type || 'application/octet-stream' };
  let token = readCookie(CSRF_COOKIE) ?? (await freshCsrfToken());
  try {
    return await send('POST', path, undefined, token, raw);
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== 'csrf_failed') throw error;
    token = await freshCsrfToken();
    return send('POST', path, undefined, token, raw);
  }
}
