/**
 * Internal: throw-away TLS certificates made in memory, so that the Oracle Database emulator serves TCPS
 * and the HeatWave emulator serves TLS without openssl on the PATH and without files: a CA, a server
 * certificate it signs for `localhost` and `127.0.0.1` (what `ssl_server_dn_match` and hostname checks
 * look at), and a client certificate for node-oracledb's `walletContent`, which must hold a certificate
 * and its key. P-256 keys, ECDSA with SHA-256, X.509 v3 written as DER by hand. Not exported from
 * `dbtoken/testing`.
 *
 * @internal
 * @module
 */
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import { ecKeyPairSync } from './key-pairs.js';
import { isIP } from 'node:net';

// --- DER, just the types a certificate needs.

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let x = n; x > 0; x >>= 8) bytes.unshift(x & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(value.length), value]);
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bits = (b: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 + n, inner);

function integer(b: Buffer): Buffer {
  let v = b;
  while (v.length > 1 && v[0] === 0 && v[1]! < 0x80) v = v.subarray(1);
  if (v[0]! >= 0x80) v = Buffer.concat([Buffer.from([0]), v]);
  return tlv(0x02, v);
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const n of rest) {
    const groups: number[] = [];
    for (let x = n; ; x = Math.floor(x / 128)) {
      groups.unshift(x % 128);
      if (x < 128) break;
    }
    out.push(...groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)));
  }
  return tlv(0x06, Buffer.from(out));
}

function time(d: Date): Buffer {
  // UTCTime up to 2049, GeneralizedTime after, as RFC 5280 asks.
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

function name(commonName: string): Buffer {
  return seq(set(seq(oid('2.5.4.3'), utf8(commonName))), set(seq(oid('2.5.4.10'), utf8('dbtoken testing'))));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
}

function keyId(key: KeyObject): Buffer {
  // RFC 5280's method 1: SHA-1 of the subjectPublicKey bits (the last 65 bytes of a P-256 SPKI).
  return createHash('sha1').update(key.export({ type: 'spki', format: 'der' }).subarray(-65)).digest();
}

/** The 16 bytes of an IPv6 address (`::1`, `fe80::1`, `::ffff:127.0.0.1`). */
function ipv6Bytes(address: string): Buffer {
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number);
    text = `${text.slice(0, -v4[1]!.length)}${((a! << 8) | b!).toString(16)}:${((c! << 8) | d!).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const groups = (s: string | undefined): string[] => (s ? s.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = tail === undefined ? groups(head) : [...groups(head), ...Array<string>(missing).fill('0'), ...groups(tail)];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

interface CertificateSpec {
  subject: string;
  subjectKey: KeyObject;
  issuer: string;
  issuerKey: KeyObject;
  issuerPublicKey: KeyObject;
  ca: boolean;
  /** DNS names and IP addresses for subjectAltName. */
  names?: readonly string[] | undefined;
  /** Extended key usage OIDs. */
  usage?: readonly string[] | undefined;
  notBefore: Date;
  notAfter: Date;
}

function certificate(spec: CertificateSpec): string {
  const extensions = [
    extension('2.5.29.19', true, seq(...(spec.ca ? [bool(true)] : []))),
    // keyCertSign + cRLSign for the CA; digitalSignature for the leaves.
    extension('2.5.29.15', true, spec.ca ? bits(Buffer.from([0x06])) : bits(Buffer.from([0x80]))),
    extension('2.5.29.14', false, octets(keyId(spec.subjectKey))),
    extension('2.5.29.35', false, seq(tlv(0x80, keyId(spec.issuerPublicKey)))),
  ];
  if (spec.usage) extensions.push(extension('2.5.29.37', false, seq(...spec.usage.map(oid))));
  if (spec.names) {
    const general = spec.names.map((n) => {
      const ip = isIP(n);
      if (ip === 4) return tlv(0x87, Buffer.from(n.split('.').map(Number)));
      if (ip === 6) return tlv(0x87, ipv6Bytes(n));
      return tlv(0x82, Buffer.from(n, 'ascii'));
    });
    extensions.push(extension('2.5.29.17', false, seq(...general)));
  }
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(Buffer.concat([Buffer.from([0x01]), randomBytes(15)])),
    ECDSA_SHA256,
    name(spec.issuer),
    seq(time(spec.notBefore), time(spec.notAfter)),
    name(spec.subject),
    spec.subjectKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, { key: spec.issuerKey, dsaEncoding: 'der' });
  const der = seq(tbs, ECDSA_SHA256, bits(signature));
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
}

/** The PEM material of one emulator: its CA, its server identity, and a client identity for wallets. @internal */
export interface EmulatorCertificates {
  /** The CA certificate: what clients trust. */
  ca: string;
  /** The server certificate (signed by the CA) and its key, for the TLS server. */
  serverCert: string;
  serverKey: string;
  /** A client certificate and its key, then the CA: a node-oracledb `walletContent`. */
  wallet: string;
}

/**
 * A fresh CA and the certificates it signs. The server certificate names `names` (DNS names and IPv4
 * addresses). Validity follows the real clock, which is what TLS checks: from a day ago to a year ahead.
 *
 * @internal
 */
export function emulatorCertificates(names: readonly string[], commonName: string): EmulatorCertificates {
  const ec = ecKeyPairSync;
  const ca = ec();
  const server = ec();
  const client = ec();
  const notBefore = new Date(Date.now() - 24 * 3600_000);
  const notAfter = new Date(Date.now() + 365 * 24 * 3600_000);
  const caName = `${commonName} CA`;
  const issuer = { issuer: caName, issuerKey: ca.privateKey, issuerPublicKey: ca.publicKey, notBefore, notAfter };
  const caCert = certificate({ ...issuer, subject: caName, subjectKey: ca.publicKey, ca: true });
  const serverCert = certificate({ ...issuer, subject: names[0] ?? commonName, subjectKey: server.publicKey, ca: false, names, usage: ['1.3.6.1.5.5.7.3.1'] });
  const clientCert = certificate({ ...issuer, subject: `${commonName} client`, subjectKey: client.publicKey, ca: false, usage: ['1.3.6.1.5.5.7.3.2'] });
  const pem = (k: KeyObject): string => k.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    ca: caCert,
    serverCert,
    serverKey: pem(server.privateKey),
    wallet: `${clientCert}${pem(client.privateKey)}${caCert}`,
  };
}
