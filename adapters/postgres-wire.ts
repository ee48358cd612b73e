/**
 * The few PostgreSQL protocol frames the postgres.js adapter reads while a
 * connection logs in: pure functions over bytes, no I/O.
 */

/** SSLRequest: length 8, code 80877103. */
export const SSL_REQUEST: Buffer = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

const CANCEL_REQUEST_CODE = 80877102;
const R = 0x52; // Authentication*
const E = 0x45; // ErrorResponse
const P = 0x70; // PasswordMessage
const C = 0x43; // the SQLSTATE field of an ErrorResponse
const M = 0x4d; // its message field

/**
 * The length of the first whole frame in `buf`, or 0 when it has not all
 * arrived. A client's first frame (startup or cancel) has no type byte.
 * A length field under 4 is malformed; it counts as 4, so a reader never
 * stalls on it.
 */
export function frameLength(buf: Buffer, untyped = false): number {
  const head = untyped ? 0 : 1;
  if (buf.length < head + 4) return 0;
  const len = head + Math.max(4, buf.readUInt32BE(head));
  return buf.length >= len ? len : 0;
}

/** The request code of an `R` frame: 0 ok, 3 cleartext password, 5 MD5, 10 SASL; `undefined` for other frames. */
export function authRequest(frame: Buffer): number | undefined {
  return frame[0] === R && frame.length >= 9 ? frame.readUInt32BE(5) : undefined;
}

/** The SQLSTATE of an `E` frame, `undefined` for other frames. */
export function errorCode(frame: Buffer): string | undefined {
  return errorField(frame, C);
}

/** The message (`M` field) of an ErrorResponse frame. */
export function errorMessage(frame: Buffer): string | undefined {
  return errorField(frame, M);
}

/** One field of an ErrorResponse frame, by its type byte. */
function errorField(frame: Buffer, field: number): string | undefined {
  if (frame[0] !== E) return undefined;
  let i = 5;
  while (i < frame.length && frame[i] !== 0) {
    const end = frame.indexOf(0, i + 1);
    if (end < 0) return undefined;
    if (frame[i] === field) return frame.toString('utf8', i + 1, end);
    i = end + 1;
  }
  return undefined;
}

/** The text of a `p` frame without its closing NUL: the password itself when the server asked for cleartext. */
export function passwordText(frame: Buffer): string | undefined {
  return frame[0] === P && frame.length >= 6 ? frame.toString('utf8', 5, frame.length - 1) : undefined;
}

/** Whether a client's first frame is a CancelRequest, which starts no login. */
export function isCancelRequest(frame: Buffer): boolean {
  return frame.length === 16 && frame.readUInt32BE(4) === CANCEL_REQUEST_CODE;
}

const COPY_OUT = 0x48; // H: CopyOutResponse
const COPY_BOTH = 0x57; // W: CopyBothResponse
const COPY_DONE = 0x63; // c: CopyDone
const READY = 0x5a; // Z: ReadyForQuery

/**
 * Follows the server's frames after the login, reading only their headers,
 * to know whether a COPY ... TO STDOUT (or COPY BOTH) stream is open. A
 * frame's header may be split across chunks; bodies are skipped unread.
 */
export interface CopyOutTracker {
  /** Whether a COPY stream from the server is open after the frames seen so far. */
  readonly open: boolean;
  /** Reads the headers of the frames in `chunk`, which continues the previous chunk. */
  feed(chunk: Buffer): void;
}

/** A {@link CopyOutTracker} that starts on a frame boundary with no stream open. */
export function copyOutTracker(): CopyOutTracker {
  let open = false;
  let skip = 0; // bytes of the current frame's body still to come
  let head: Buffer | undefined; // a header split across chunks
  return {
    get open() {
      return open;
    },
    feed(chunk: Buffer): void {
      let at = 0;
      while (at < chunk.length) {
        if (skip > 0) {
          const n = Math.min(skip, chunk.length - at);
          skip -= n;
          at += n;
          continue;
        }
        let header: Buffer;
        if (head || chunk.length - at < 5) {
          const need = 5 - (head?.length ?? 0);
          const part = chunk.subarray(at, at + need);
          head = head ? Buffer.concat([head, part]) : Buffer.from(part);
          at += part.length;
          if (head.length < 5) return;
          header = head;
          head = undefined;
        } else {
          header = chunk.subarray(at, at + 5);
          at += 5;
        }
        const type = header[0];
        skip = Math.max(4, header.readUInt32BE(1)) - 4;
        if (type === COPY_OUT || type === COPY_BOTH) open = true;
        else if (type === COPY_DONE || type === READY || type === E) open = false;
      }
    },
  };
}
