/**
 * Internal: the few LDAPv3 messages (RFC 4511) that the LDAP verifier reads and writes, in BER, as pure
 * functions: bytes in, values or bytes out. Decoders never throw; a short or malformed input gives a
 * typed result. Not exported from `dbtoken/testing`.
 *
 * @internal
 * @module
 */

export const SEQUENCE = 0x30;
export const INTEGER = 0x02;
export const OCTET_STRING = 0x04;
export const ENUMERATED = 0x0a;
export const BIND_REQUEST = 0x60;
export const BIND_RESPONSE = 0x61;
export const UNBIND_REQUEST = 0x42;
/** The `simple` choice of AuthenticationChoice: context tag 0, primitive. */
export const SIMPLE_AUTH = 0x80;

/** The LDAP result codes the verifier answers with. */
export const RESULT = { success: 0, protocolError: 2, authMethodNotSupported: 7, invalidCredentials: 49, unwillingToPerform: 53 } as const;

/** One BER element: its tag, its value bytes and the offset just after it. */
export interface Tlv {
  tag: number;
  value: Buffer;
  end: number;
}

/** What {@link readTlv} found at an offset. */
export type TlvRead = { status: 'ok'; tlv: Tlv } | { status: 'incomplete' } | { status: 'error'; reason: string };

/**
 * The BER element at `offset`, with a definite length of up to 4 bytes (LDAP forbids the indefinite form);
 * `incomplete` when the buffer holds only part of it.
 */
export function readTlv(buf: Buffer, offset: number): TlvRead {
  if (offset + 2 > buf.length) return { status: 'incomplete' };
  const tag = buf[offset]!;
  let len = buf[offset + 1]!;
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) return { status: 'error', reason: 'unsupported BER length' };
    if (pos + n > buf.length) return { status: 'incomplete' };
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + i]!;
    pos += n;
  }
  if (pos + len > buf.length) return { status: 'incomplete' };
  return { status: 'ok', tlv: { tag, value: buf.subarray(pos, pos + len), end: pos + len } };
}

/** The element inside a value already read whole: there, a short or bad element is simply not there. */
function child(buf: Buffer, offset: number): Tlv | undefined {
  const read = readTlv(buf, offset);
  return read.status === 'ok' ? read.tlv : undefined;
}

/** A BER element, in the shortest definite length form. */
export function encodeTlv(tag: number, value: Buffer): Buffer {
  const n = value.length;
  let len: Buffer;
  if (n < 0x80) {
    len = Buffer.from([n]);
  } else {
    const digits: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) digits.unshift(v & 0xff);
    len = Buffer.from([0x80 | digits.length, ...digits]);
  }
  return Buffer.concat([Buffer.from([tag]), len, value]);
}

/** A non-negative BER INTEGER's value bytes. */
export function readInt(b: Buffer): number {
  let v = 0;
  for (const byte of b) v = v * 256 + byte;
  return v;
}

/** A non-negative integer as BER INTEGER value bytes: big-endian, with a 0 byte where the top bit would read as a sign. */
export function intBytes(v: number): Buffer {
  const bytes: number[] = [];
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return Buffer.from(bytes);
}

/** A BindResponse LDAPMessage with an empty matchedDN. */
export function bindResponse(messageId: number, code: number, diagnostic: string): Buffer {
  return encodeTlv(
    SEQUENCE,
    Buffer.concat([
      encodeTlv(INTEGER, intBytes(messageId)),
      encodeTlv(
        BIND_RESPONSE,
        Buffer.concat([encodeTlv(ENUMERATED, Buffer.from([code])), encodeTlv(OCTET_STRING, Buffer.alloc(0)), encodeTlv(OCTET_STRING, Buffer.from(diagnostic))]),
      ),
    ]),
  );
}

/**
 * A client's request, as far as the verifier cares:
 * - `bind`: a simple bind, with its DN and password as UTF-8;
 * - `malformed-bind`: a BindRequest without version, name or authentication (answered protocolError);
 * - `unsupported-auth`: a bind by SASL or any other method than simple;
 * - `unbind`: the client is leaving;
 * - `other`: any other operation (answered unwillingToPerform);
 * - `invalid`: not an LDAPMessage at all (the connection ends).
 */
export type LdapRequest =
  | { op: 'bind'; messageId: number; dn: string; password: string }
  | { op: 'malformed-bind'; messageId: number }
  | { op: 'unsupported-auth'; messageId: number }
  | { op: 'unbind'; messageId: number }
  | { op: 'other'; messageId: number; tag: number }
  | { op: 'invalid' };

/** What {@link readLdapMessage} found at the start of a buffer; `used` is how many bytes the message took. */
export type LdapRead = { status: 'message'; request: LdapRequest; used: number } | { status: 'incomplete' } | { status: 'error'; reason: string };

/** The first whole LDAPMessage in `buf`, decoded; `incomplete` until all of it has arrived. */
export function readLdapMessage(buf: Buffer): LdapRead {
  const read = readTlv(buf, 0);
  if (read.status !== 'ok') return read;
  const message = read.tlv;
  return { status: 'message', request: decodeRequest(message), used: message.end };
}

function decodeRequest(message: Tlv): LdapRequest {
  if (message.tag !== SEQUENCE) return { op: 'invalid' };
  const id = child(message.value, 0);
  if (!id || id.tag !== INTEGER) return { op: 'invalid' };
  const messageId = readInt(id.value);
  const op = child(message.value, id.end);
  if (!op) return { op: 'invalid' };
  if (op.tag === UNBIND_REQUEST) return { op: 'unbind', messageId };
  if (op.tag !== BIND_REQUEST) return { op: 'other', messageId, tag: op.tag };
  const version = child(op.value, 0);
  const name = version && child(op.value, version.end);
  const auth = name && child(op.value, name.end);
  if (!version || !name || !auth || name.tag !== OCTET_STRING) return { op: 'malformed-bind', messageId };
  if (auth.tag !== SIMPLE_AUTH) return { op: 'unsupported-auth', messageId };
  return { op: 'bind', messageId, dn: name.value.toString('utf8'), password: auth.value.toString('utf8') };
}

/** The value of the first RDN (`uid=alice,ou=iam` gives `alice`): PostgreSQL's `ldapprefix` puts the user there. */
export function firstRdnValue(dn: string): string {
  const first = dn.split(',')[0] ?? '';
  const eq = first.indexOf('=');
  return eq < 0 ? first : first.slice(eq + 1);
}
