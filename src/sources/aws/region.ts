import { ConfigError } from '../../core/errors.js';
import { describe } from '../../core/validation.js';
/**
 * Pure helpers for AWS RDS endpoints.
 */

// <name>.<id or cluster-/proxy- prefix>.<region>.rds.<partition domain>
const RDS_HOST = /^(?:[a-z0-9-]+\.)+([a-z]{2}(?:-[a-z]+)+-\d+)\.rds\.(?:amazonaws\.com(?:\.cn)?|c2s\.ic\.gov|sc2s\.sgov\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)\.?$/i;

/**
 * The AWS region of an RDS or Aurora endpoint (instance, cluster, reader,
 * custom, proxy; every partition), or `undefined` when the hostname is not an
 * RDS endpoint (an IP address, a CNAME of your own, `localhost`) or not a
 * string.
 *
 * @example
 * ```ts
 * rdsRegionFromHostname('mydb.c9akciq32.eu-west-1.rds.amazonaws.com'); // 'eu-west-1'
 * rdsRegionFromHostname('db.internal.example.com');                    // undefined
 * ```
 */
export function rdsRegionFromHostname(hostname: string): string | undefined {
  if (typeof hostname !== 'string') return undefined;
  const m = RDS_HOST.exec(hostname.trim());
  return m?.[1]?.toLowerCase();
}

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;

/** True when `region` is shaped like an AWS region name (`us-east-1`, `us-gov-west-1`). */
export function isAwsRegion(region: string): boolean {
  return typeof region === 'string' && REGION.test(region);
}

/**
 * `value` in quotes for a message when it is short and written only in
 * `alphabet` (lower case, as regions and hostnames are and random keys and
 * tokens are not); otherwise only its length, so a secret passed by mistake
 * never reaches a log.
 */
function shownIf(value: unknown, alphabet: RegExp, max: number): string {
  if (typeof value !== 'string') return describe(value);
  return value.length <= max && alphabet.test(value) ? `"${value}"` : `(a ${value.length}-character string, not shown)`;
}

/**
 * The region an RDS token is signed for: `region` when given (checked), else
 * the one in an RDS hostname. Throws a {@link ConfigError} on `region` when
 * it is malformed or cannot be worked out. The library and the CLI share it.
 */
export function resolveRdsRegion(region: unknown, hostname: string): string {
  if (region !== undefined) {
    if (typeof region !== 'string' || region.trim() === '') {
      throw new ConfigError('region', `must be an AWS region name (got ${describe(region)})`, "pass a region such as 'us-east-1'");
    }
    if (!isAwsRegion(region)) throw new ConfigError('region', `${shownIf(region, /^[a-z0-9-]+$/, 32)} is not an AWS region name`, "pass a region such as 'us-east-1'");
    return region;
  }
  const inferred = rdsRegionFromHostname(hostname);
  if (inferred === undefined) {
    throw new ConfigError('region', `cannot be inferred from hostname ${shownIf(hostname, /^[a-z0-9.:-]+$/, 253)} (not an RDS endpoint)`, "pass region, for example region: 'us-east-1'");
  }
  return inferred;
}
