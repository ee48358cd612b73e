/**
 * The socket the postgres.js adapter gives postgres.js (its public `socket`
 * option). It opens TLS itself, as postgres.js would, so that it can read
 * the login in clear: when the server refuses the token a login sent, it
 * forgets that token and logs in once more on a fresh connection, replaying
 * the startup message, before postgres.js sees any error.
 */
import { EventEmitter, once } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { InsecureTransportError } from '../src/core/errors.js';
import type { DbToken } from '../src/core/token.js';
import type { Refusal } from './login-pace.js';
import { FIRST_LOGIN, type LoginAttempts } from './login-policy.js';
import { loginRefusal } from './preamble.js';
import { SSL_REQUEST, authRequest, copyOutTracker, errorCode, errorMessage, frameLength, isCancelRequest, passwordText, type CopyOutTracker } from './postgres-wire.js';

/** postgres.js's `ssl` option, as its own option parser leaves it. */
export type PostgresSsl = boolean | string | tls.ConnectionOptions | null | undefined;

/** `ssl` values with which postgres.js may send a login without TLS ('allow' means plaintext first, to libpq). */
const PLAINTEXT_OK = new Set<unknown>(['prefer', 'allow']);

/** Whether postgres.js, given this `ssl`, always encrypts before it logs in. */
export function postgresUsesTls(ssl: PostgresSsl): boolean {
  return Boolean(ssl) && !PLAINTEXT_OK.has(ssl);
}

/** Where and how to open one transport. */
export interface Transport {
  host: string;
  port: number;
  /** A Unix socket path, which postgres.js prefers to host and port. */
  path?: string | undefined;
  ssl: PostgresSsl;
  /** 'direct': TLS at once, with ALPN, and no SSLRequest. */
  sslnegotiation?: string | null | undefined;
  /** The caller's own socket factory (postgres.js's `socket` option), TLS then goes over it. */
  socket?: (() => Duplex | Promise<Duplex>) | undefined;
}

async function plainSocket(t: Transport, signal?: AbortSignal): Promise<Duplex> {
  if (t.socket) return await t.socket();
  const s = t.path ? net.connect(t.path) : net.connect(t.port, t.host);
  try {
    await once(s, 'connect', { signal });
  } catch (err) {
    s.destroy();
    throw err;
  }
  return s;
}

function firstByte(s: Duplex): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      s.off('data', onData).off('error', reject).off('close', onClose);
    };
    const onData = (b: Buffer): void => {
      done();
      resolve(b[0]);
    };
    const onClose = (): void => {
      done();
      resolve(undefined);
    };
    s.on('data', onData).on('error', reject).on('close', onClose);
  });
}

/**
 * Opens TCP (or the caller's socket), then TLS the way postgres.js's own
 * `secure()` does. `signal` abandons the attempt at any step, closing what
 * it opened: a server that accepts TCP and then says nothing holds no socket.
 */
export async function openTransport(t: Transport, signal?: AbortSignal): Promise<Duplex> {
  const raw = await plainSocket(t, signal);
  if (!t.ssl) return raw;
  // Aborted from here on, the socket is destroyed: whatever waits on it then fails.
  const stop = (): void => void raw.destroy(signal!.reason);
  signal?.addEventListener('abort', stop);
  try {
    signal?.throwIfAborted();
    const direct = t.sslnegotiation === 'direct';
    if (!direct) {
      raw.write(SSL_REQUEST);
      if ((await firstByte(raw)) !== 0x53 /* S */) {
        if (t.ssl === 'prefer') return raw;
        throw new InsecureTransportError(
          `the server at ${t.path ?? `${t.host}:${t.port}`} does not accept TLS; refusing to send an IAM token without it`,
        );
      }
    }
    const secure = tls.connect({
      socket: raw as net.Socket,
      host: t.host,
      servername: net.isIP(t.host) ? undefined : t.host,
      ...(direct ? { ALPNProtocols: ['postgresql'] } : {}),
      ...(t.ssl === 'require' || PLAINTEXT_OK.has(t.ssl) ? { rejectUnauthorized: false } : typeof t.ssl === 'object' ? t.ssl : {}),
    });
    await once(secure, 'secureConnect');
    return secure;
  } catch (err) {
    raw.destroy();
    throw err;
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}

/** What a {@link LoginSocket} asks of the adapter. */
export interface LoginWatch {
  /** Opens a transport to the server; called again for the retry. `signal` aborts when the socket is destroyed meanwhile. */
  open(signal: AbortSignal): Promise<Duplex>;
  /** What the adapter's password function answered with this text: the token, or the error that stood in for one. */
  answered(text: string): DbToken | Error | undefined;
  /**
   * The server refused a login: resolves, after the backoff, to the
   * attempts to retry with, or `undefined` to fail (see `afterRefusal`).
   * `gone` aborts once this socket is ended or destroyed.
   */
  refused(refusal: Refusal, attempts: LoginAttempts, gone: AbortSignal): Promise<LoginAttempts | undefined>;
  /** The server accepted the login that sent `token`. */
  accepted(token: DbToken): void;
  /**
   * Runs `deliver`, which hands postgres.js the server's login frames: it
   * asks for the password inside it. `gone` aborts once this socket is
   * ended, destroyed or closed, and that password must then never come:
   * postgres.js would write it to a connection it has dropped.
   */
  asking(gone: AbortSignal, deliver: () => void): void;
}

const EMPTY: Buffer = Buffer.alloc(0);
const noop = (): void => {};

/** A thrown value as an Error: a socket that fails with `null` would otherwise close as if nothing failed. */
function asError(value: unknown): Error {
  if (value instanceof Error) return value;
  const what = value === null || value === undefined ? String(value) : typeof value === 'string' ? 'a string' : `a ${typeof value}`;
  return new Error(`opening the connection failed: the socket function failed with ${what}, not an Error`, { cause: value });
}

/**
 * The socket-like duplex postgres.js talks to. It forwards bytes both ways
 * and reads them only until the server accepts the login.
 */
export class LoginSocket extends EventEmitter {
  /** For postgres.js's error messages. */
  readonly host: string;
  readonly port: number;
  readonly #watch: LoginWatch;
  #inner: Duplex | undefined;
  #queue: { chunk: Buffer; cb?: ((err?: Error | null) => void) | undefined }[] = [];
  #ending: Buffer | true | undefined;
  #keepAlive: [boolean, number] | undefined;
  #closed = false;
  #destroyed = false;
  /** Abandons a transport still being opened when this socket is destroyed. */
  readonly #opening = new AbortController();
  /** Aborts when postgres.js ends or destroys this socket, or it closes: its login is over. */
  readonly #gone = new AbortController();
  // The login, read until AuthenticationOk.
  #watching = true;
  #fromClient: Buffer = EMPTY;
  #fromServer: Buffer = EMPTY;
  #startup: Buffer | undefined;
  #cleartext = false;
  #sent: DbToken | undefined;
  #retried = false;
  #attempts: LoginAttempts = FIRST_LOGIN;
  // After the login: whether postgres.js paused the socket, and whether a COPY stream is open.
  #paused = false;
  #copy: CopyOutTracker = copyOutTracker();

  constructor(watch: LoginWatch, host: string, port: number) {
    super();
    this.#watch = watch;
    this.host = host;
    this.port = port;
    this.#connect();
  }

  get readyState(): string {
    if (this.#closed) return 'closed';
    return this.#inner ? ((this.#inner as net.Socket).readyState ?? 'open') : 'opening';
  }

  write(chunk: Buffer, cb?: (err?: Error | null) => void): boolean {
    if (this.#closed || this.#destroyed) return false;
    if (this.#watching) {
      const failure = this.#readClient(chunk);
      if (failure) {
        // The password function had no token for this login: fail it with that error, send nothing.
        process.nextTick(() => this.#fail(failure));
        return true;
      }
    }
    if (!this.#inner) {
      this.#queue.push({ chunk, cb });
      return true;
    }
    return this.#inner.write(chunk, cb);
  }

  end(chunk?: Buffer): this {
    this.#gone.abort();
    if (this.#inner) this.#inner.end(chunk);
    else this.#ending = chunk ?? true;
    return this;
  }

  destroy(err?: Error): this {
    if (this.#destroyed) return this;
    this.#destroyed = true;
    this.#opening.abort();
    this.#gone.abort();
    if (this.#inner) this.#inner.destroy(err);
    else process.nextTick(() => this.#fail(err));
    return this;
  }

  /**
   * postgres.js pauses the socket while a COPY ... TO STDOUT stream is full
   * (always after the login), and resumes it when the stream is read.
   */
  pause(): this {
    this.#paused = true;
    this.#inner?.pause();
    return this;
  }

  resume(): this {
    this.#paused = false;
    this.#inner?.resume();
    return this;
  }

  setKeepAlive(enable: boolean, delay: number): this {
    this.#keepAlive = [enable, delay];
    (this.#inner as net.Socket | undefined)?.setKeepAlive?.(enable, delay);
    return this;
  }

  #connect(): void {
    this.#watch.open(this.#opening.signal).then(
      (inner) => {
        if (this.#destroyed || this.#closed) {
          inner.destroy();
          return;
        }
        this.#attach(inner);
      },
      (err: unknown) => {
        // Destroyed meanwhile: the abort that ended the attempt is no error of the socket's.
        if (this.#destroyed) return;
        // As a net.Socket does, a turn of the event loop later: the caller's socket function may
        // throw at once, before postgres.js holds this socket and listens to it.
        setImmediate(() => {
          if (!this.#destroyed && !this.#closed) this.#fail(asError(err));
        });
      },
    );
  }

  #attach(inner: Duplex): void {
    this.#inner = inner;
    inner.on('data', this.#onData);
    inner.on('error', this.#onError);
    inner.on('close', this.#onClose);
    inner.on('drain', this.#onDrain);
    if (this.#keepAlive) (inner as net.Socket).setKeepAlive?.(...this.#keepAlive);
    if (this.#retried && this.#startup) inner.write(this.#startup);
    const queued = this.#queue;
    this.#queue = [];
    for (const { chunk, cb } of queued) inner.write(chunk, cb);
    if (this.#ending !== undefined) inner.end(this.#ending === true ? undefined : this.#ending);
  }

  #detach(): void {
    const inner = this.#inner;
    this.#inner = undefined;
    if (!inner) return;
    inner.off('data', this.#onData).off('error', this.#onError).off('close', this.#onClose).off('drain', this.#onDrain);
    inner.on('error', noop);
    inner.destroy();
  }

  #fail(err: Error | undefined): void {
    this.#detach();
    if (err) this.emit('error', err);
    this.#onClose(err !== undefined);
  }

  readonly #onError = (err: Error): void => {
    this.emit('error', err);
  };

  readonly #onClose = (hadError: boolean): void => {
    if (this.#closed) return;
    this.#closed = true;
    this.#gone.abort();
    this.emit('close', hadError);
  };

  readonly #onDrain = (): void => {
    this.emit('drain');
  };

  /** Reads the client's frames; returns the error that must fail the login in place of a password. */
  #readClient(chunk: Buffer): Error | undefined {
    this.#fromClient = this.#fromClient.length ? Buffer.concat([this.#fromClient, chunk]) : chunk;
    for (let n; (n = frameLength(this.#fromClient, this.#startup === undefined)) > 0; ) {
      const frame = this.#fromClient.subarray(0, n);
      this.#fromClient = this.#fromClient.subarray(n);
      if (this.#startup === undefined) {
        if (isCancelRequest(frame)) return this.#stopWatching();
        this.#startup = Buffer.from(frame);
        continue;
      }
      const text = this.#cleartext ? passwordText(frame) : undefined;
      if (text === undefined) continue;
      const answer = this.#watch.answered(text);
      if (answer instanceof Error) return answer;
      this.#sent = answer;
    }
    return undefined;
  }

  readonly #onData = (chunk: Buffer): void => {
    if (!this.#watching) {
      this.#forward(chunk);
      return;
    }
    this.#fromServer = this.#fromServer.length ? Buffer.concat([this.#fromServer, chunk]) : chunk;
    let upTo = 0;
    for (let n; (n = frameLength(this.#fromServer.subarray(upTo))) > 0; upTo += n) {
      const frame = this.#fromServer.subarray(upTo, upTo + n);
      const auth = authRequest(frame);
      if (auth === 3) this.#cleartext = true;
      if (auth === 0) {
        const rest = this.#fromServer;
        if (this.#sent) this.#watch.accepted(this.#sent);
        this.#stopWatching();
        this.#forward(rest);
        return;
      }
      const refusal = this.#sent && loginRefusal('postgres', { code: errorCode(frame), message: errorMessage(frame) });
      if (refusal) {
        if (upTo > 0) this.#deliver(this.#fromServer.subarray(0, upTo));
        this.#refused({ token: this.#sent!, named: refusal === 'throttled' }, this.#fromServer.subarray(upTo));
        return;
      }
    }
    if (upTo > 0) this.#deliver(this.#fromServer.subarray(0, upTo));
    this.#fromServer = this.#fromServer.subarray(upTo);
  };

  /** Hands login frames to postgres.js, which may ask for this login's password while it reads them. */
  #deliver(frames: Buffer): void {
    this.#watch.asking(this.#gone.signal, () => this.emit('data', frames));
  }

  /**
   * Hands the server's bytes to postgres.js. postgres.js pauses the socket
   * for each CopyData its stream cannot take, and goes on reading the rest
   * of the chunk; when that rest ends the COPY, no stream is left to resume
   * the socket, and the connection would hang with its next answers unread
   * (postgres.js 3.4.x does this on its own sockets too). A pause outlives
   * no COPY stream here.
   */
  #forward(chunk: Buffer): void {
    this.#copy.feed(chunk);
    this.emit('data', chunk);
    if (this.#paused && !this.#copy.open && this.#inner) this.resume();
  }

  /**
   * The server refused this login: its connection is dropped at once, the
   * refusal (`held`: the error and what followed) is kept, and the login is
   * retried on a new connection, or the refusal handed to postgres.js, as
   * the adapter decides.
   */
  #refused(refusal: Refusal, held: Buffer): void {
    this.#detach();
    this.#fromServer = EMPTY;
    this.#watch.refused(refusal, this.#attempts, this.#gone.signal).then((next) => {
      if (this.#destroyed || this.#closed) return;
      if (next === undefined) {
        this.#deliver(held);
        this.#onClose(false);
        return;
      }
      this.#attempts = next;
      this.#retry();
    });
  }

  #retry(): void {
    this.#retried = true;
    this.#sent = undefined;
    this.#cleartext = false;
    this.#connect();
  }

  #stopWatching(): undefined {
    this.#watching = false;
    this.#fromClient = this.#fromServer = EMPTY;
    this.#startup = this.#sent = undefined;
    return undefined;
  }
}
