/**
 * Internal: the listen / track / close plumbing that the test servers of `dbtoken/testing` share
 * (LDAP and PAM verifiers, HeatWave and OCI Identity emulators). Not exported from `dbtoken/testing`.
 *
 * @internal
 * @module
 */
import type { Server, Socket } from 'node:net';

/**
 * Keeps the set of `server`'s open connections (an `http.Server` is a `net.Server` too). A server may add
 * sockets of its own, such as a TLS socket wrapped around a connection, so that closing drops them as well.
 *
 * @internal
 */
export function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return sockets;
}

/**
 * Listens on `host`:`port` (0: any free port) and resolves with the port bound; rejects if listening fails.
 *
 * @internal
 */
export async function listen(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/**
 * Drops every open connection (keep-alive ones included) and stops listening; resolves once the server is closed.
 *
 * @internal
 */
export function closeServer(server: Server, sockets: Iterable<Socket>): Promise<void> {
  return new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });
}
