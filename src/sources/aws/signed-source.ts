import { abortable } from '../../core/abort.js';
import type { TokenSource } from '../../core/provider.js';
import type { AwsCredentials, AwsCredentialsProvider } from './rds.js';

/** Signs one token for a region with the credentials given (`undefined`: the SDK's default chain). */
export type AwsTokenSigner = (region: string, credentials: AwsCredentials | AwsCredentialsProvider | undefined) => () => Promise<string>;

/** What {@link awsSignedSource} signs: a presigned SigV4 token of a known lifetime. */
export interface AwsSignedTokenSpec {
  /** Static keys, a credentials function, or `undefined` for the SDK's default chain. */
  readonly credentials: AwsCredentials | AwsCredentialsProvider | undefined;
  /** The region, when known without reading a file. */
  readonly region: string | undefined;
  /** Reads the region (from the profile) when `region` is not known. */
  readonly readRegion: () => Promise<string>;
  /** How long the service accepts a token after it is signed (ms). */
  readonly lifetimeMs: number;
  /** Makes the SDK signer for a region and credentials. */
  readonly signer: AwsTokenSigner;
  /**
   * The longest a token signed with the SDK's default chain is taken to
   * live (ms): that chain's credentials may be temporary, and their expiry
   * does not reach dbtoken. Default: `lifetimeMs`.
   */
  readonly defaultChainLifetimeMs?: number | undefined;
  /** Rewrites a signed token (the host as the caller typed it). Default: as signed. */
  readonly finish?: ((token: string) => string) | undefined;
}

/** The clocks a signed source reads. */
export interface AwsSignedClocks {
  /** Real time (ms), to measure what is left of the credentials. */
  now(): number;
  /** The provider's clock (ms), in which `expiresAt` is expressed. */
  clock(): number;
}

/**
 * A token source that signs a fresh SigV4 token on every fetch, shared by
 * the RDS and DSQL providers:
 *
 * - Static credentials sign with one signer.
 * - A credentials function is called anew for every fetch, and the token
 *   expires no later than the credentials.
 * - The SDK's default chain memoizes a credentials call in flight. When a
 *   fetch is abandoned (its deadline passed, or no caller waits any more),
 *   that signer is dropped and the next fetch starts a new chain, so a
 *   metadata endpoint that hangs once does not hang every later connection.
 */
export function awsSignedSource(spec: AwsSignedTokenSpec, clocks: AwsSignedClocks): TokenSource {
  let shared: (() => Promise<string>) | undefined;
  return async ({ signal }) => {
    const region = spec.region ?? (await abortable(spec.readRegion(), signal));
    const signedAt = clocks.clock();
    const realSignedAt = clocks.now();
    let expiration: Date | undefined;
    let sign: () => Promise<string>;
    const creds = spec.credentials;
    if (typeof creds === 'function') {
      sign = spec.signer(region, async (props?: Record<string, unknown>) => {
        const resolved = await creds(props);
        expiration = resolved.expiration;
        return resolved;
      });
    } else {
      expiration = creds?.expiration;
      sign = shared ??= spec.signer(region, creds);
    }
    let token: string;
    try {
      token = await abortable(sign(), signal);
    } catch (err) {
      if (signal.aborted && shared === sign) shared = undefined;
      throw err;
    }
    // Credentials expire in real time; carry what is left of them over to the provider's clock.
    const credentialsLeft = expiration !== undefined ? expiration.getTime() - realSignedAt : creds === undefined ? (spec.defaultChainLifetimeMs ?? Infinity) : Infinity;
    return { token: spec.finish ? spec.finish(token) : token, expiresAt: new Date(signedAt + Math.min(spec.lifetimeMs, credentialsLeft)) };
  };
}
