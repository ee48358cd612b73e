/**
 * Internal: the line protocol between `pam_script_auth` and the PAM verifier, as pure functions. The
 * script sends `<user>\n<password>\n`; the verifier answers `OK\n` or `NO\n` and closes. Not exported
 * from `dbtoken/testing`.
 *
 * @internal
 * @module
 */

/** Longest request waited for (user + token); IAM tokens are a few KB at most. */
export const MAX_REQUEST_BYTES = 64 * 1024;

/** What {@link readPamRequest} found; bytes after the request are ignored, as the script sends nothing more. */
export type PamRead = { status: 'request'; user: string; password: string } | { status: 'incomplete' } | { status: 'error'; reason: 'request too large' };

/** The request in `buf`, once both lines have arrived. */
export function readPamRequest(buf: Buffer): PamRead {
  const first = buf.indexOf(0x0a);
  const second = first < 0 ? -1 : buf.indexOf(0x0a, first + 1);
  if (second < 0) return buf.length > MAX_REQUEST_BYTES ? { status: 'error', reason: 'request too large' } : { status: 'incomplete' };
  return { status: 'request', user: buf.subarray(0, first).toString('utf8'), password: buf.subarray(first + 1, second).toString('utf8') };
}

/** The answer line: the script exits 0 on exactly `OK`. */
export function pamAnswer(ok: boolean): string {
  return ok ? 'OK\n' : 'NO\n';
}
