/**
 * The body of the OCI SDK worker thread. The build compiles this file to
 * CommonJS and inlines it as text (worker-source.ts), so that the worker
 * runs the same from the ESM build, the CJS build and a bundle. It must
 * therefore stand alone: Node built-ins and type-only imports, nothing else.
 *
 * It loads `oci-common` and `oci-identitydataplane` from the first of
 * `workerData.resolveFrom` that has them (dbtoken's own location first),
 * generates the RSA key pairs (the next one ahead of time), and calls IAM
 * with a deadline; a request the main thread abandons is aborted.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type * as OciCommon from 'oci-common';
import type * as OciIdentityDataplane from 'oci-identitydataplane';

/** What the main thread passes in `workerData`. */
export interface OciWorkerData {
  readonly kind: 'dbtoken-oci-worker';
  readonly auth: { readonly type: string; readonly file?: string; readonly profile?: string };
  readonly endpoint: string | undefined;
  readonly keySize: number;
  /** Files to resolve the SDK from, in order. */
  readonly resolveFrom: readonly string[];
  /** The deadline of one IAM call (ms). */
  readonly requestTimeoutMs: number;
}

/** Main thread to worker. */
export type OciWorkerRequest = { readonly type: 'generate'; readonly id: number; readonly scope: string } | { readonly type: 'abort'; readonly id: number } | { readonly type: 'close' };

/** An error, as plain data that crosses the thread boundary. */
export interface OciWorkerError {
  readonly message: string;
  readonly name: string;
  readonly statusCode?: number | undefined;
  readonly serviceCode?: string | undefined;
  readonly opcRequestId?: string | undefined;
  readonly code?: string | undefined;
}

/** Worker to main thread. */
export type OciWorkerReply = { readonly id: number; readonly token: string; readonly privateKey: string } | { readonly id: number; readonly error: OciWorkerError };

/** The OCI SDK config reader's errors that end with the line it could not read. */
const QUOTING_SDK_ERRORS = [
  'Found line with no key-value pair',
  'Found line with no key',
  'Cannot have empty profile name',
  'Config parse error, attempted to read configuration without specifying a profile',
];

/**
 * An error of the OCI SDK's config reader, without the line it quotes (a
 * line may hold a pasted secret); any other error as it is.
 */
export function withoutQuotedLine(err: unknown, file: string | undefined): unknown {
  const message = (err as { message?: unknown } | null)?.message;
  if (typeof message !== 'string') return err;
  const known = QUOTING_SDK_ERRORS.find((m) => message.startsWith(m));
  if (known === undefined) return err;
  return new Error(`the OCI SDK cannot read ${file ?? 'the OCI config file'}: ${known} (the line is not shown)`);
}

function run(port: NonNullable<typeof parentPort>, data: OciWorkerData): void {
  // On Linux a thread has its own nice value: this one yields the CPU to the
  // application's threads while it generates keys and signs requests.
  if (process.platform === 'linux') {
    try {
      setPriority(0, 10);
    } catch {
      // not permitted: run at normal priority
    }
  }
  // The SDK reports failed calls on the console; the errors reach the caller as causes instead.
  console.warn = console.info = console.log = () => {};

  type KeyPair = { publicKey: string; privateKey: string };
  let nextKeys: KeyPair | undefined;
  const keys = (): KeyPair => {
    const k =
      nextKeys ??
      generateKeyPairSync('rsa', {
        modulusLength: data.keySize,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
    nextKeys = undefined;
    return k;
  };

  const load = <T>(name: string): T => {
    let last: unknown;
    for (const from of data.resolveFrom) {
      let req: NodeJS.Require;
      try {
        req = createRequire(from);
      } catch (err) {
        last = err;
        continue;
      }
      try {
        return req(name) as T;
      } catch (err) {
        last = err;
        if ((err as { code?: unknown } | null)?.code !== 'MODULE_NOT_FOUND') throw err;
      }
    }
    throw last;
  };

  type Sdk = { common: typeof OciCommon; dataplane: typeof OciIdentityDataplane; provider: OciCommon.AuthenticationDetailsProvider; signer: OciCommon.RequestSigner };
  let sdk: Promise<Sdk> | undefined;
  const loadSdk = async (): Promise<Sdk> => {
    const common = load<typeof OciCommon>('oci-common');
    const dataplane = load<typeof OciIdentityDataplane>('oci-identitydataplane');
    const a = data.auth;
    let provider: OciCommon.AuthenticationDetailsProvider;
    switch (a.type) {
      case 'api_key':
      case 'security_token':
        try {
          provider = a.type === 'api_key' ? new common.ConfigFileAuthenticationDetailsProvider(a.file, a.profile) : new common.SessionAuthDetailProvider(a.file, a.profile);
        } catch (err) {
          throw withoutQuotedLine(err, a.file);
        }
        break;
      case 'instance_principal':
        provider = await new common.InstancePrincipalsAuthenticationDetailsProviderBuilder().build();
        break;
      case 'resource_principal':
        provider = common.ResourcePrincipalAuthenticationDetailsProvider.builder();
        break;
      case 'oke_workload_identity':
        provider = new common.OkeWorkloadIdentityAuthenticationDetailsProvider.OkeWorkloadIdentityAuthenticationDetailsProviderBuilder().build();
        break;
      default:
        throw new Error(`unknown auth type ${a.type}`);
    }
    return { common, dataplane, provider, signer: new common.DefaultRequestSigner(provider) };
  };

  const plain = (err: unknown): OciWorkerError => {
    const e = (err !== null && typeof err === 'object' ? err : { message: String(err) }) as Record<string, unknown>;
    const out: Record<string, unknown> = {
      message: typeof e.message === 'string' ? e.message : 'the OCI SDK failed',
      name: typeof e.name === 'string' ? e.name : 'Error',
    };
    for (const k of ['statusCode', 'serviceCode', 'opcRequestId', 'code']) {
      if (e[k] !== undefined && typeof e[k] !== 'object') out[k] = e[k];
    }
    return out as unknown as OciWorkerError;
  };

  /**
   * fetch's `TypeError: fetch failed` keeps why (ECONNREFUSED, ENOTFOUND, a
   * TLS code) in its cause, and the SDK passes on only "fetch failed": the
   * message names the URL and that reason instead.
   */
  const unreachable = (err: unknown, url: string): OciWorkerError | undefined => {
    if (!(err instanceof TypeError) || err.cause === undefined) return undefined;
    let why: string | undefined;
    let e: unknown = err.cause;
    for (let depth = 0; depth < 4 && e !== null && typeof e === 'object'; depth++) {
      const c = e as { code?: unknown; message?: unknown; errors?: unknown; cause?: unknown };
      // Several addresses tried (localhost): an AggregateError, whose first error says why.
      const first = (Array.isArray(c.errors) ? c.errors[0] : undefined) as { code?: unknown; message?: unknown } | undefined;
      why = [c.message, first?.message].find((m): m is string => typeof m === 'string' && m !== '')?.split('\n')[0] ?? why;
      const code = typeof c.code === 'string' ? c.code : first?.code;
      if (typeof code === 'string') {
        return { name: 'Error', code, message: `IAM at ${url} cannot be reached: ${why?.includes(code) ? why : `${why ?? 'network error'} (${code})`}` };
      }
      e = c.cause;
    }
    // No code (fetch refuses some ports outright): the reason alone.
    return why === undefined ? undefined : { name: 'Error', message: `IAM at ${url} cannot be reached: ${why}` };
  };

  const inFlight = new Map<number, AbortController>();

  const generate = async (id: number, scope: string): Promise<void> => {
    const abort = new AbortController();
    let network: OciWorkerError | undefined;
    inFlight.set(id, abort);
    try {
      // A failed load is not kept: the next request tries again (a package installed meanwhile, a metadata endpoint back).
      const s = await (sdk ??= loadSdk().catch((err: unknown) => {
        sdk = undefined;
        throw err;
      }));
      const k = keys();
      // One client per request: the request's own signal (abandoned by the main
      // thread, or past its deadline) aborts the HTTP call. No circuit breaker:
      // the main thread's retry rounds already keep a failing IAM from a storm.
      const signal = AbortSignal.any([abort.signal, AbortSignal.timeout(data.requestTimeoutMs)]);
      // The SDK's types allow one of the two, its code reads both: the provider gives the region.
      const http = new s.common.FetchHttpClient(s.signer, null, { signal });
      // The SDK keeps only the message of a network error: keep the error itself, and the endpoint it was for
      // (the base URL, as configured: the request's path would read as a secret to the CLI's redaction).
      const send = http.send.bind(http);
      http.send = (...args: Parameters<typeof send>) => {
        network = undefined;
        return send(...args).catch((err: unknown) => {
          network = unreachable(err, data.endpoint ?? (URL.canParse(args[0].uri) ? new URL(args[0].uri).origin : 'its endpoint'));
          throw err;
        });
      };
      const params = { authenticationDetailsProvider: s.provider, httpClient: http };
      const client = new s.dataplane.DataplaneClient(params as unknown as OciCommon.AuthParams);
      if (data.endpoint !== undefined) client.endpoint = data.endpoint;
      const res = await client.generateScopedAccessToken({ generateScopedAccessTokenDetails: { scope, publicKey: k.publicKey } });
      port.postMessage({ id, token: res.securityToken.token, privateKey: k.privateKey } satisfies OciWorkerReply);
    } catch (err) {
      port.postMessage({ id, error: abort.signal.aborted ? plain(abort.signal.reason ?? err) : (network ?? plain(err)) } satisfies OciWorkerReply);
    } finally {
      inFlight.delete(id);
    }
    // The next refresh's key pair, made now, while this token is in use.
    setImmediate(() => {
      try {
        nextKeys ??= keys();
      } catch {
        // made on demand next time
      }
    });
  };

  port.on('message', (m: OciWorkerRequest) => {
    if (m.type === 'generate') void generate(m.id, m.scope);
    else if (m.type === 'abort') inFlight.get(m.id)?.abort(new Error('abandoned'));
    else {
      for (const a of inFlight.values()) a.abort(new Error('closed'));
      port.close();
    }
  });
}

const data = workerData as OciWorkerData | undefined;
if (parentPort !== null && data?.kind === 'dbtoken-oci-worker') run(parentPort, data);
