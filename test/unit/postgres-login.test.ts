import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LoginSocket } from '../../adapters/postgres-login.js';
import { authRequestFrame, frame } from '../helpers/fake-postgres.js';

const typed = frame;
const startup = (): Buffer => {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(8, 0);
  b.writeUInt32BE(196608, 4);
  return b;
};
const ready = typed('Z', 'I');
const copyOut = typed('H', Buffer.from([0, 0, 0]));
const copyData = (text: string): Buffer => typed('d', text);
const turns = async (n = 4): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/**
 * A LoginSocket over a scripted server (`serve` pushes its bytes), with a
 * client that behaves as postgres.js does: it pauses the socket for every
 * CopyData its (full) stream cannot take, and reads on through the chunk.
 */
async function scripted() {
  const inner = new Duplex({ read() {}, write: (_c, _e, cb) => cb() });
  const socket = new LoginSocket({ open: async () => inner, answered: () => undefined, refused: async () => undefined, accepted: () => {}, asking: (_gone, deliver) => deliver() }, 'db', 5432);
  const frames: string[] = [];
  socket.on('data', (chunk: Buffer) => {
    for (let at = 0; at < chunk.length; at += 1 + chunk.readUInt32BE(at + 1)) {
      const type = String.fromCharCode(chunk[at]!);
      frames.push(type);
      if (type === 'd') socket.pause();
    }
  });
  socket.write(startup());
  await turns();
  const serve = async (...parts: Buffer[]): Promise<void> => {
    inner.push(Buffer.concat(parts));
    await turns();
  };
  await serve(authRequestFrame(0), ready);
  return { socket, frames, serve, inner };
}

describe('LoginSocket after the login: postgres.js pausing for a COPY ... TO STDOUT stream', () => {
  it('a chunk that ends the COPY leaves the socket flowing, so the next answer is read (it hung before)', async () => {
    const { frames, serve } = await scripted();
    // One chunk: the stream fills at the first CopyData, then CopyDone and ReadyForQuery follow.
    await serve(copyOut, copyData('1\n'), copyData('2\n'), typed('c'), typed('C', 'COPY 2\0'), ready);
    frames.length = 0;
    await serve(typed('T', Buffer.alloc(2)), typed('C', 'SELECT 0\0'), ready);
    expect(frames).toEqual(['T', 'C', 'Z']);
  });

  it('a COPY that ends in a later chunk: the pause holds until the stream is read, then the rest flows', async () => {
    const { socket, frames, serve, inner } = await scripted();
    await serve(copyOut, copyData('1\n'));
    expect(inner.isPaused()).toBe(true);
    frames.length = 0;
    await serve(copyData('2\n'), typed('c'), typed('C', 'COPY 2\0'), ready);
    expect(frames).toEqual([]); // backpressure is honoured while the COPY is open
    socket.resume(); // the stream was read
    await turns();
    expect(frames).toEqual(['d', 'c', 'C', 'Z']);
    frames.length = 0;
    await serve(typed('C', 'SELECT 0\0'), ready);
    expect(frames).toEqual(['C', 'Z']);
  });
});
