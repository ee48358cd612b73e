import { createServer, type Socket } from 'node:net';
import { rsaKeyPairSync } from '../../src/testing/key-pairs.js';

/** What a connection sent first: a TLS ClientHello, a cleartext TNS CONNECT, something else, or nothing. */
export type FirstBytes = 'tls' | 'tns-connect' | 'other' | 'none';

/** A TLS record starts 0x16 0x03; a TNS packet has its type at byte 4 (1 = CONNECT). */
export function classify(first: Buffer): FirstBytes {
  if (first.length === 0) return 'none';
  if (first[0] === 0x16 && first[1] === 0x03) return 'tls';
  if (first.length > 4 && first[4] === 1) return 'tns-connect';
  return 'other';
}

export interface FirstBytesListener {
  readonly port: number;
  /** What each connection so far sent first, in order of arrival. */
  readonly seen: FirstBytes[];
  /** Resolves once every connection accepted so far has been closed. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP listener on 127.0.0.1 that records the first bytes of each connection
 * and then drops it, so that a driver never gets past its first packet.
 */
export async function startFirstBytesListener(): Promise<FirstBytesListener> {
  const seen: FirstBytes[] = [];
  const open = new Set<Socket>();
  let waiters: (() => void)[] = [];
  const release = () => {
    if (open.size > 0) return;
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const server = createServer((socket) => {
    open.add(socket);
    let first = Buffer.alloc(0);
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      seen.push(classify(first));
    };
    socket.on('data', (d: Buffer) => {
      first = Buffer.concat([first, d]);
      if (first.length >= 5) {
        record();
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      record();
      open.delete(socket);
      release();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as { port: number }).port,
    seen,
    settled: () =>
      new Promise<void>((r) => {
        waiters.push(r);
        release();
      }),
    close: () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A db-token shaped like OCI's (a JWT with `exp`) and a PKCS#8 key, enough for the driver to try to log in. */
export function fakeDbToken(lifetimeMs = 3_600_000): { token: string; expiresAt: Date; privateKey: string } {
  const { privateKey } = rsaKeyPairSync(1024);
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const exp = Math.floor((Date.now() + lifetimeMs) / 1000);
  return {
    token: `${b64({ alg: 'RS256' })}.${b64({ sub: 'ocid1.user.oc1..aaaalistener', exp })}.c2ln`,
    expiresAt: new Date(exp * 1000),
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
