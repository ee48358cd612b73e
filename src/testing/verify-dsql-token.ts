import { asciiLowerCase } from '../sources/aws/rds-host.js';
import { checkPresignedToken } from './sigv4-presigned.js';
import type { RdsTokenRefused, RdsVerifierCredentials } from './verify-rds-token.js';

/**
 * What {@link verifyDsqlToken} checks a token against: the cluster's side of the login.
 *
 * @example
 * ```ts
 * const config: DsqlTokenVerifierConfig = {
 *   hostname: 'abc.dsql.us-east-1.on.aws', region: 'us-east-1', admin: true,
 *   credentials: [{ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: '<secret-access-key>' }],
 *   maxSkewMs: 60_000,
 * };
 * const verdict = verifyDsqlToken(password, config);
 * ```
 */
export interface DsqlTokenVerifierConfig {
  /** The cluster's host name (what the client signed), without a port. */
  hostname: string;
  /** The region the cluster is in. */
  region: string;
  /** The keys IAM knows. */
  credentials: readonly RdsVerifierCredentials[];
  /**
   * Whether the login is as the `admin` user: `true` accepts only
   * `DbConnectAdmin` tokens, `false` only `DbConnect` ones.
   */
  admin: boolean;
  /** The time to check against, in ms. Default `Date.now()`. */
  now?: number | undefined;
  /** How far in the future `X-Amz-Date` may be (clock skew). Default 5 minutes. */
  maxSkewMs?: number | undefined;
}

/**
 * The verdict: `ok`, or the reason for refusal (never containing the token or a key).
 *
 * @example
 * ```ts
 * const verdict: DsqlTokenVerdict = verifyDsqlToken(password, config);
 * if (verdict.ok) console.log(verdict.action, verdict.expiresAt);
 * else console.log(verdict.reason); // e.g. 'signature does not match'
 * ```
 */
export type DsqlTokenVerdict = DsqlTokenAccepted | RdsTokenRefused;

/**
 * A token {@link verifyDsqlToken} accepted.
 *
 * @example
 * ```ts
 * // what verifyDsqlToken returns for a good admin token
 * const accepted: DsqlTokenAccepted = { ok: true, action: 'DbConnectAdmin', accessKeyId: 'AKIDEXAMPLE', expiresAt: new Date('2030-01-01T00:15:00Z') };
 * ```
 */
export interface DsqlTokenAccepted {
  /** Accepted. */
  ok: true;
  /** What it allows: `DbConnectAdmin` for the `admin` user, `DbConnect` for the others. */
  action: 'DbConnect' | 'DbConnectAdmin';
  /** The key that signed it. */
  accessKeyId: string;
  /** When it stops being accepted. */
  expiresAt: Date;
}

/** SigV4's longest presigned URL: 7 days. */
const MAX_DSQL_EXPIRES_S = 7 * 24 * 60 * 60;
const DSQL_REQUIRED = ['Action', 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'];

/**
 * Verifies an Aurora DSQL IAM token (what `@aws-sdk/dsql-signer`'s
 * `DsqlSigner` and botocore's `generate_db_connect_auth_token` make) the
 * way DSQL does, written from the SigV4 specification (not by calling a
 * signer): it recomputes the signature with the secret key, and checks
 * expiry (`X-Amz-Expires` up to 7 days), the host, `Action` (`DbConnectAdmin`
 * when `admin`, else `DbConnect`), the credential scope
 * (`<date>/<region>/dsql/aws4_request`) and the session token.
 *
 * The token names the host without a port. It is compared with A-Z folded
 * and no other case folding, and the signature is over it in lower case,
 * as botocore signs it: a token for `MyCluster.dsql...` passes for
 * `mycluster.dsql...`, and a lookalike such as `db.\u212Aube.example`
 * (KELVIN SIGN) does not pass for `db.kube.example`.
 *
 * @example
 * ```ts
 * import { verifyDsqlToken } from 'dbtoken/testing';
 * const verdict = verifyDsqlToken(password, {
 *   hostname: 'abc.dsql.us-east-1.on.aws', region: 'us-east-1', admin: false,
 *   credentials: [{ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }],
 * });
 * if (!verdict.ok) console.log(verdict.reason); // e.g. 'Action is not DbConnect (an admin token is for the admin user only)'
 * ```
 */
export function verifyDsqlToken(token: string, config: DsqlTokenVerifierConfig): DsqlTokenVerdict {
  const action = config.admin ? 'DbConnectAdmin' : 'DbConnect';
  const v = checkPresignedToken(
    token,
    {
      service: 'dsql',
      actions: [action],
      actionRefusal: config.admin ? 'Action is not DbConnectAdmin (an admin login needs an admin token)' : 'Action is not DbConnect (an admin token is for the admin user only)',
      maxExpiresS: MAX_DSQL_EXPIRES_S,
      host: config.hostname,
      hostRefusal: 'token is for another host',
      signedHosts: (host) => [asciiLowerCase(host)],
      required: DSQL_REQUIRED,
    },
    config,
  );
  if (!v.ok) return { ok: false, reason: v.reason };
  return { ok: true, action, accessKeyId: v.accessKeyId, expiresAt: v.expiresAt };
}
