import { isAbsolute, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ConfigError } from '../../core/errors.js';
import type { OciAuth } from './db-token.js';

/**
 * Runs the OCI SDK (`oci-common` + `oci-identitydataplane`) and the RSA key
 * generation in a worker thread: loading the SDK (about 150 ms of module
 * compilation), generating key pairs, signing each request and parsing the
 * reply never run on the application's event loop. On Linux the worker
 * thread runs at a lower priority, so on a busy machine its CPU work yields
 * to the application's threads. It is unref'd while idle, so it never keeps
 * a process alive.
 *
 * The worker's code is plain CommonJS held here as text, so that it runs the
 * same from the ESM build, the CJS build and the TypeScript sources.
 */
const WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { createRequire } = require('node:module');
const { generateKeyPairSync } = require('node:crypto');
// On Linux a thread has its own nice value: this one yields the CPU to the
// application's threads while it generates keys and signs requests.
if (process.platform === 'linux') { try { require('node:os').setPriority(0, 10); } catch {} }
let nextKeys;
function keys() {
  const k = nextKeys || generateKeyPairSync('rsa', { modulusLength: workerData.keySize, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  nextKeys = undefined;
  return k;
}
// The SDK reports failed calls on the console; the errors reach the caller as causes instead.
console.warn = console.info = console.log = () => {};
function load(name) {
  let last;
  for (const from of workerData.resolveFrom) {
    let req;
    try { req = createRequire(from); } catch (err) { last = err; continue; }
    try { return req(name); } catch (err) { last = err; if (err && err.code !== 'MODULE_NOT_FOUND') throw err; }
  }
  throw last;
}
let client;
async function getClient() {
  if (client) return client;
  const common = load('oci-common');
  const { DataplaneClient } = load('oci-identitydataplane');
  const auth = workerData.auth;
  let provider;
  switch (auth.type) {
    case 'api_key': provider = new common.ConfigFileAuthenticationDetailsProvider(auth.file, auth.profile); break;
    case 'security_token': provider = new common.SessionAuthDetailProvider(auth.file, auth.profile); break;
    case 'instance_principal': provider = await new common.InstancePrincipalsAuthenticationDetailsProviderBuilder().build(); break;
    case 'resource_principal': provider = common.ResourcePrincipalAuthenticationDetailsProvider.builder(); break;
    case 'oke_workload_identity': provider = new common.OkeWorkloadIdentityAuthenticationDetailsProvider.OkeWorkloadIdentityAuthenticationDetailsProviderBuilder().build(); break;
    default: throw new Error('unknown auth type');
  }
  const c = new DataplaneClient({ authenticationDetailsProvider: provider });
  if (workerData.endpoint) c.endpoint = workerData.endpoint;
  client = c;
  return c;
}
function plain(err) {
  const e = err && typeof err === 'object' ? err : { message: String(err) };
  const out = { message: typeof e.message === 'string' ? e.message : 'the OCI SDK failed', name: typeof e.name === 'string' ? e.name : 'Error' };
  for (const k of ['statusCode', 'serviceCode', 'opcRequestId', 'code', 'targetService', 'operationName']) if (e[k] !== undefined && typeof e[k] !== 'object') out[k] = e[k];
  return out;
}
parentPort.on('message', async (m) => {
  if (m.type === 'close') { try { client && client.close && client.close(); } catch {} ; parentPort.close(); return; }
  try {
    const c = await getClient();
    const k = keys();
    const res = await c.generateScopedAccessToken({ generateScopedAccessTokenDetails: { scope: m.scope, publicKey: k.publicKey } });
    parentPort.postMessage({ id: m.id, token: res.securityToken.token, privateKey: k.privateKey });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: plain(err) });
  }
  // The next refresh's key pair, made now, while this token is in use.
  setImmediate(() => { try { nextKeys = nextKeys || keys(); } catch {} });
});
`;

/** Where the worker looks for the SDK: next to this package (CJS), the application's entry, the working directory. */
function resolveFrom(): string[] {
  const out: string[] = [];
  if (typeof __filename === 'string') out.push(__filename);
  if (typeof process.argv[1] === 'string' && isAbsolute(process.argv[1])) out.push(process.argv[1]);
  out.push(join(process.cwd(), 'noop.js'));
  return out;
}

/** The serializable part of an auth choice, with config paths resolved. */
export type WorkerAuth = { type: OciAuth['type']; file?: string; profile?: string };

/** An error from the OCI SDK, rebuilt on this side of the thread boundary. */
export class OciRequestError extends Error {
  /** The HTTP status IAM answered, when it answered. */
  declare readonly statusCode?: number;
  /** OCI's error code, such as `NotAuthenticated`. */
  declare readonly serviceCode?: string;
  /** OCI's request id, for support. */
  declare readonly opcRequestId?: string;

  constructor(fields: { message: string; statusCode?: number; serviceCode?: string; opcRequestId?: string; code?: string }) {
    super(fields.message);
    this.name = 'OciRequestError';
    for (const k of ['statusCode', 'serviceCode', 'opcRequestId', 'code'] as const) {
      if (fields[k] !== undefined) Object.defineProperty(this, k, { value: fields[k], enumerable: true });
    }
  }
}

/** One worker per provider, started on the first fetch. */
export class OciTokenWorker {
  #worker: Worker | undefined;
  #pending = new Map<number, { resolve(r: { token: string; privateKey: string }): void; reject(err: unknown): void }>();
  #nextId = 0;

  constructor(
    private readonly auth: WorkerAuth,
    private readonly endpoint: string | undefined,
    private readonly keySize: number,
  ) {}

  #start(): Worker {
    // No flags: the worker's source is CommonJS whatever made the application's
    // default module type ESM (--input-type), and per-process flags (--expose-gc)
    // are not allowed in workers at all.
    const w = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { auth: this.auth, endpoint: this.endpoint, keySize: this.keySize, resolveFrom: resolveFrom() } });
    w.unref();
    w.on('message', (m: { id: number; token?: string; privateKey?: string; error?: { message: string; code?: string } }) => {
      const p = this.#pending.get(m.id);
      if (p === undefined) return;
      this.#pending.delete(m.id);
      if (this.#pending.size === 0) w.unref();
      if (m.token !== undefined && m.privateKey !== undefined) p.resolve({ token: m.token, privateKey: m.privateKey });
      else if (m.error?.code === 'MODULE_NOT_FOUND' && /oci-(common|identitydataplane)/.test(m.error.message)) {
        p.reject(
          new ConfigError(
            'auth',
            'ociDbToken needs the OCI SDK packages oci-common and oci-identitydataplane, of the same version',
            'npm install oci-common@2.139.1 oci-identitydataplane@2.139.1',
            { cause: new OciRequestError(m.error) },
          ),
        );
      } else p.reject(new OciRequestError(m.error ?? { message: 'the OCI SDK failed' }));
    });
    const fail = (err: unknown): void => {
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
      this.#worker = undefined;
    };
    w.on('error', fail);
    w.on('exit', () => fail(new Error('the OCI SDK worker stopped')));
    return w;
  }

  /**
   * A db-token for `scope` and the private key it was issued for. The worker
   * generates the key pair (the next one ahead of time) and calls IAM.
   */
  generateScopedAccessToken(scope: string): Promise<{ token: string; privateKey: string }> {
    const w = (this.#worker ??= this.#start());
    const id = this.#nextId++;
    // Held while a call is pending, so that a process awaiting a token waits for it.
    w.ref();
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      w.postMessage({ id, scope });
    });
  }

  /** Stops the worker. */
  close(): void {
    const w = this.#worker;
    this.#worker = undefined;
    if (w !== undefined) void w.terminate();
  }
}
