import { createServer, type Socket } from 'node:net';

export interface EchoPostgres {
  port: number;
  /** Every password a client sent. */
  passwords: string[];
  close(): Promise<void>;
}

/**
 * A hostile stand-in for PostgreSQL, without TLS: it asks for a cleartext
 * password and refuses the login with SQLSTATE 28000 and a message that
 * quotes the password back. What a client prints about that error must not
 * contain the password.
 */
export async function startEchoPostgres(): Promise<EchoPostgres> {
  const passwords: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    let started = false;
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (!started) {
          if (buf.length < 8) return;
          const len = buf.readInt32BE(0);
          if (buf.length < len) return;
          const code = buf.readInt32BE(4);
          buf = buf.subarray(len);
          if (code === 80877103) {
            socket.write('N'); // SSLRequest: no TLS here
            continue;
          }
          started = true;
          const auth = Buffer.alloc(9);
          auth.write('R', 0);
          auth.writeInt32BE(8, 1);
          auth.writeInt32BE(3, 5); // AuthenticationCleartextPassword
          socket.write(auth);
          continue;
        }
        if (buf.length < 5) return;
        const len = buf.readInt32BE(1);
        if (buf.length < len + 1) return;
        const type = String.fromCharCode(buf[0]!);
        const body = buf.subarray(5, len + 1);
        buf = buf.subarray(len + 1);
        if (type !== 'p') continue;
        const password = body.toString('utf8').replace(/\0$/, '');
        passwords.push(password);
        const fields = Buffer.concat(
          [
            ['S', 'FATAL'],
            ['V', 'FATAL'],
            ['C', '28000'],
            ['M', `password authentication failed for user "iam_alice": the server got "${password}"`],
          ]
            .map(([k, v]) => Buffer.from(`${k}${v}\0`))
            .concat([Buffer.from([0])]),
        );
        const head = Buffer.alloc(5);
        head.write('E', 0);
        head.writeInt32BE(fields.length + 4, 1);
        socket.end(Buffer.concat([head, fields]));
        return;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    passwords,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
