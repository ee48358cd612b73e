import { isAbsolute, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { onAbort } from '../../core/abort.js';
import { ConfigError } from '../../core/errors.js';
import type { OciAuth } from './auth.js';
import { moduleFile } from './module-location.js';
import type { OciWorkerData, OciWorkerReply, OciWorkerRequest } from './worker-body.js';
import { WORKER_SOURCE } from './worker-source.js';

/**
 * Where the worker looks for the SDK: next to this package first (both
 * builds), then the application's entry script and working directory (a
 * bundle, whose SDK sits next to it).
 */
function resolveFrom(): string[] {
  const out: string[] = [];
  if (moduleFile !== undefined) out.push(moduleFile);
  if (typeof process.argv[1] === 'string' && isAbsolute(process.argv[1])) out.push(process.argv[1]);
  out.push(join(process.cwd(), 'noop.js'));
  return out;
}

/** The serializable part of an auth choice, with config paths resolved. */
export type WorkerAuth = { type: OciAuth['type']; file?: string; profile?: string };

/** How an OCI db-token source reaches IAM; tests swap it. */
export interface OciTokenClient {
  /** A db-token for `scope` and the private key it was issued for; `signal` abandons the call. */
  generateScopedAccessToken(scope: string, signal: AbortSignal): Promise<{ token: string; privateKey: string }>;
  /** Stops whatever the client runs. */
  close(): void;
}

/** What an {@link OciTokenWorker} is made with. */
export interface OciWorkerOptions {
  readonly auth: WorkerAuth;
  readonly endpoint: string | undefined;
  readonly keySize: number;
  /** The deadline of one IAM call inside the worker (ms). */
  readonly requestTimeoutMs: number;
}

/** An error from the OCI SDK, rebuilt on this side of the thread boundary. */
export class OciRequestError extends Error {
  /** The HTTP status IAM answered, when it answered. */
  declare readonly statusCode?: number;
  /** OCI's error code, such as `NotAuthenticated`. */
  declare readonly serviceCode?: string;
  /** OCI's request id, for support. */
  declare readonly opcRequestId?: string;
  /** Why IAM could not be reached, such as `ECONNREFUSED` or `ENOTFOUND` (the message names the endpoint too). */
  declare readonly code?: string;

  constructor(fields: { message: string; statusCode?: number; serviceCode?: string; opcRequestId?: string; code?: string }) {
    super(fields.message);
    this.name = 'OciRequestError';
    for (const k of ['statusCode', 'serviceCode', 'opcRequestId', 'code'] as const) {
      if (fields[k] !== undefined) Object.defineProperty(this, k, { value: fields[k], enumerable: true });
    }
  }
}

/**
 * Runs the OCI SDK (`oci-common` + `oci-identitydataplane`) and the RSA key
 * generation in a worker thread, started on the first call: loading the SDK
 * (about 150 ms of module compilation), generating key pairs, signing each
 * request and parsing the reply never run on the application's event loop.
 * On Linux the worker thread runs at a lower priority, so on a busy machine
 * its CPU work yields to the application's threads.
 *
 * The worker is always unref'd: a caller waiting for a token keeps the
 * process alive by its own deadline timer, and nothing else does. A call
 * whose `signal` aborts is abandoned: the worker aborts its HTTP request.
 */
export class OciTokenWorker implements OciTokenClient {
  #worker: Worker | undefined;
  #pending = new Map<number, { resolve(r: { token: string; privateKey: string }): void; reject(err: unknown): void }>();
  #nextId = 0;

  constructor(private readonly options: OciWorkerOptions) {}

  #start(): Worker {
    // No flags: the worker's source is CommonJS whatever made the application's
    // default module type ESM (--input-type), and per-process flags (--expose-gc)
    // are not allowed in workers at all.
    const workerData: OciWorkerData = {
      kind: 'dbtoken-oci-worker',
      auth: this.options.auth,
      endpoint: this.options.endpoint,
      keySize: this.options.keySize,
      resolveFrom: resolveFrom(),
      requestTimeoutMs: this.options.requestTimeoutMs,
    };
    const w = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData });
    w.on('message', (m: OciWorkerReply) => {
      const p = this.#pending.get(m.id);
      if (p === undefined) return;
      this.#pending.delete(m.id);
      if ('token' in m) p.resolve({ token: m.token, privateKey: m.privateKey });
      else if (m.error.code === 'MODULE_NOT_FOUND' && /oci-(common|identitydataplane)/.test(m.error.message)) {
        p.reject(
          new ConfigError(
            'auth',
            'ociDbToken needs the OCI SDK packages oci-common and oci-identitydataplane, of the same version',
            'npm install oci-common@2.139.1 oci-identitydataplane@2.139.1',
            { cause: new OciRequestError(m.error) },
          ),
        );
      } else p.reject(new OciRequestError(m.error));
    });
    const fail = (err: unknown): void => {
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
      if (this.#worker === w) this.#worker = undefined;
    };
    w.on('error', fail);
    w.on('exit', () => fail(new Error('the OCI SDK worker stopped')));
    // After the listeners: adding a 'message' listener refs the worker's port again.
    w.unref();
    return w;
  }

  generateScopedAccessToken(scope: string, signal: AbortSignal): Promise<{ token: string; privateKey: string }> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const w = (this.#worker ??= this.#start());
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const off = onAbort(signal, () => {
        if (!this.#pending.delete(id)) return;
        w.postMessage({ type: 'abort', id } satisfies OciWorkerRequest);
        reject(signal.reason);
      });
      this.#pending.set(id, {
        resolve: (r) => (off(), resolve(r)),
        reject: (err) => (off(), reject(err)),
      });
      w.postMessage({ type: 'generate', id, scope } satisfies OciWorkerRequest);
    });
  }

  /** Stops the worker; calls still pending reject. */
  close(): void {
    const w = this.#worker;
    this.#worker = undefined;
    if (w === undefined) return;
    for (const p of this.#pending.values()) p.reject(new Error('the OCI SDK worker was closed'));
    this.#pending.clear();
    void w.terminate();
  }
}
