import net from 'node:net';
import { frameLength } from '../../adapters/postgres-wire.js';

/** One connection the fake server saw: its startup frame and every password frame's text. */
export interface FakeLogin {
  startup?: Buffer;
  passwords: string[];
  /** It asked for TLS (and was told no). */
  sslRequest: boolean;
}

export interface FakePostgres {
  port: number;
  logins: FakeLogin[];
  close(): Promise<void>;
}

/** A typed protocol frame: its type byte, length, and body. */
export const frame = (type: string, body: Buffer | string = Buffer.alloc(0)): Buffer => {
  if (typeof body === 'string') body = Buffer.from(body, 'utf8');
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const cstrings = (...s: string[]): Buffer => Buffer.from(s.map((x) => `${x}\0`).join(''), 'utf8');

export const authRequestFrame = (code: number): Buffer => frame('R', int32(code));
export const errorFrame = (code: string, message: string): Buffer => frame('E', Buffer.concat([cstrings('SFATAL', `C${code}`, `M${message}`), Buffer.from([0])]));
const ready = frame('Z', Buffer.from('I'));

/**
 * A PostgreSQL-protocol server that says only enough for a login: no TLS,
 * a cleartext password request, then OK or SQLSTATE 28000 as `accept`
 * decides, and an empty result for any simple query.
 */
export async function startFakePostgres(
  opts: { accept?: (password: string, login: number) => boolean; refuseBeforePassword?: boolean } = {},
): Promise<FakePostgres> {
  const logins: FakeLogin[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    const login: FakeLogin = { passwords: [], sslRequest: false };
    const index = logins.push(login) - 1;
    let buf = Buffer.alloc(0);
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (let n; (n = frameLength(buf, login.startup === undefined)) > 0; ) {
        const f = buf.subarray(0, n);
        buf = buf.subarray(n);
        if (login.startup === undefined) {
          if (f.length === 8 && f.readUInt32BE(4) === 80877103) {
            login.sslRequest = true;
            s.write('N');
            continue;
          }
          login.startup = Buffer.from(f);
          if (opts.refuseBeforePassword) s.end(errorFrame('28000', 'no pg_hba.conf entry'));
          else s.write(authRequestFrame(3));
        } else if (f[0] === 0x70) {
          const password = f.toString('utf8', 5, f.length - 1);
          login.passwords.push(password);
          if (opts.accept?.(password, index) ?? true) s.write(Buffer.concat([authRequestFrame(0), ready]));
          else s.end(errorFrame('28000', 'LDAP authentication failed'));
        } else if (f[0] === 0x51) {
          s.write(Buffer.concat([frame('C', cstrings('SELECT 0')), ready]));
        } else if (f[0] === 0x58) {
          s.end();
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    logins,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
