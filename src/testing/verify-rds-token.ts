import { rdsSignedHosts } from '../sources/aws/rds-host.js';
import { checkPresignedToken } from './sigv4-presigned.js';

/**
 * A key pair the verifier knows, as IAM would.
 *
 * @example
 * ```ts
 * const key: RdsVerifierCredentials = { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: '<secret-access-key>', sessionToken: '<session-token>' };
 * verifyRdsToken(password, { hostname: '127.0.0.1', port: 5432, username: 'iam_alice', region: 'us-east-1', credentials: [key] });
 * ```
 */
export interface RdsVerifierCredentials {
  /** The key ID tokens name in `X-Amz-Credential`. */
  readonly accessKeyId: string;
  /** The secret that signs them. */
  readonly secretAccessKey: string;
  /** When set, tokens signed with this key must carry this session token. */
  readonly sessionToken?: string | undefined;
  /**
   * The IAM identity the key belongs to: a verifying server checking DSQL tokens lets it log in as
   * the roles granted to this ARN with `AWS IAM GRANT`.
   */
  readonly arn?: string | undefined;
}

/**
 * What {@link verifyRdsToken} checks a token against: the server's side of the login.
 *
 * @example
 * ```ts
 * const config: RdsTokenVerifierConfig = {
 *   hostname: '127.0.0.1', port: 5432, username: 'iam_alice', region: 'us-east-1',
 *   credentials: [{ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: '<secret-access-key>' }],
 *   maxSkewMs: 60_000,
 * };
 * const verdict = verifyRdsToken(password, config);
 * ```
 */
export interface RdsTokenVerifierConfig {
  /** The host name the server is reached by (what the client signed). */
  hostname: string;
  /** The server's port. */
  port: number;
  /** The login user; the token's `DBUser` must match it. */
  username: string;
  /** The region the server is in. */
  region: string;
  /** The keys IAM knows. */
  credentials: readonly RdsVerifierCredentials[];
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
 * const verdict: RdsTokenVerdict = verifyRdsToken(password, config);
 * if (verdict.ok) console.log(verdict.user, verdict.expiresAt);
 * else console.log(verdict.reason); // e.g. 'signature does not match'
 * ```
 */
export type RdsTokenVerdict = RdsTokenAccepted | RdsTokenRefused;

/**
 * A token {@link verifyRdsToken} accepted.
 *
 * @example
 * ```ts
 * // what verifyRdsToken returns for a good token
 * const accepted: RdsTokenAccepted = { ok: true, user: 'iam_alice', accessKeyId: 'AKIDEXAMPLE', expiresAt: new Date('2030-01-01T00:15:00Z') };
 * ```
 */
export interface RdsTokenAccepted {
  /** Accepted. */
  ok: true;
  /** The database user it logs in as. */
  user: string;
  /** The key that signed it. */
  accessKeyId: string;
  /** When it stops being accepted. */
  expiresAt: Date;
}

/**
 * A token {@link verifyRdsToken} refused.
 *
 * @example
 * ```ts
 * // what verifyRdsToken returns for a token signed more than 15 minutes ago
 * const refused: RdsTokenRefused = { ok: false, reason: 'token expired' };
 * ```
 */
export interface RdsTokenRefused {
  /** Refused. */
  ok: false;
  /** Why, in a few words (never containing the token). */
  reason: string;
}

const MAX_RDS_EXPIRES_S = 900;
const RDS_REQUIRED = ['Action', 'DBUser', 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'];

/**
 * Verifies an AWS RDS IAM token the way RDS does, written from the SigV4
 * specification (not by calling a signer): it recomputes the signature with
 * the secret key, and checks expiry, `DBUser`, host and port, the credential
 * scope (`<date>/<region>/rds-db/aws4_request`) and the session token.
 *
 * The host is compared with A-Z folded and no other case folding, and the
 * signature is over it in lower case, as the AWS CLI, boto3 and dbtoken sign
 * it: `aws rds generate-db-auth-token --hostname MyDB.example...` passes for
 * `mydb.example...`, and a lookalike such as `db.\u212Aube.example` (KELVIN
 * SIGN) does not pass for `db.kube.example`. For port 443 the signature may
 * also be over the host without the port, as the AWS CLI and boto3 sign it.
 *
 * @example
 * ```ts
 * import { verifyRdsToken } from 'dbtoken/testing';
 * const verdict = verifyRdsToken(password, {
 *   hostname: '127.0.0.1', port: 5432, username: 'iam_alice', region: 'us-east-1',
 *   credentials: [{ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }],
 * });
 * if (!verdict.ok) console.log(verdict.reason); // e.g. 'token expired'
 * ```
 */
export function verifyRdsToken(token: string, config: RdsTokenVerifierConfig): RdsTokenVerdict {
  const v = checkPresignedToken(
    token,
    {
      service: 'rds-db',
      actions: ['connect'],
      actionRefusal: 'Action is not connect',
      maxExpiresS: MAX_RDS_EXPIRES_S,
      host: `${config.hostname}:${config.port}`,
      hostRefusal: 'token is for another host or port',
      signedHosts: rdsSignedHosts,
      required: RDS_REQUIRED,
      checkParams: (params) => (params.get('DBUser') !== config.username ? 'token is for another user' : undefined),
    },
    config,
  );
  if (!v.ok) return { ok: false, reason: v.reason };
  return { ok: true, user: config.username, accessKeyId: v.accessKeyId, expiresAt: v.expiresAt };
}
