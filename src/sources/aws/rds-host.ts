/**
 * How an RDS token names its host: what dbtoken signs and what the test
 * kit's verifier checks. Pure, without I/O, shared by both sides.
 */

/**
 * `s` with A-Z folded to a-z and nothing else changed: how DNS and SigV4
 * compare host names. `String.prototype.toLowerCase()` also folds KELVIN
 * SIGN (U+212A) to `k` and DOTTED CAPITAL I (U+0130) to `i` and a combining
 * dot, so `db.\u212Aube.example` would pass for `db.kube.example`.
 *
 * @example
 * ```ts
 * asciiLowerCase('MyDB.Example'); // 'mydb.example'
 * asciiLowerCase('db.\u212Aube.example'); // unchanged: KELVIN SIGN is not K
 * ```
 */
export function asciiLowerCase(s: string): string {
  return s.replace(/[A-Z]+/g, (run) => run.toLowerCase());
}

/**
 * The `host` header an RDS token is signed over, as the AWS CLI and boto3
 * sign it: the hostname in ASCII lower case, then the port. botocore takes
 * it from the parsed URL, which lower-cases it; `@aws-sdk/rds-signer` signs
 * the hostname as typed, so dbtoken hands it this one.
 *
 * @example
 * ```ts
 * rdsSigningHost('MyDB.abc123.us-east-1.rds.amazonaws.com', 5432); // 'mydb.abc123.us-east-1.rds.amazonaws.com:5432'
 * ```
 */
export function rdsSigningHost(hostname: string, port: number): string {
  return `${asciiLowerCase(hostname)}:${port}`;
}

/**
 * The `host` values a token naming `hostPort` may be signed over: in ASCII
 * lower case, and for port 443 also without the port, since botocore (the
 * AWS CLI, boto3) leaves out https's default port where dbtoken and the
 * AWS SDK for JavaScript keep it.
 *
 * @example
 * ```ts
 * rdsSignedHosts('MyDB.example:5432'); // ['mydb.example:5432']
 * rdsSignedHosts('MyDB.example:443'); // ['mydb.example:443', 'mydb.example']
 * ```
 */
export function rdsSignedHosts(hostPort: string): string[] {
  const host = asciiLowerCase(hostPort);
  return host.endsWith(':443') ? [host, host.slice(0, -':443'.length)] : [host];
}

/** The order in which botocore (the AWS CLI, boto3) prints a token's parameters; the signature comes last. */
const AWS_CLI_ORDER = ['Action', 'DBUser', 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Security-Token'];

function cliRank(pair: string): number {
  const name = pair.slice(0, pair.indexOf('='));
  if (name === 'X-Amz-Signature') return AWS_CLI_ORDER.length + 1;
  const known = AWS_CLI_ORDER.indexOf(name);
  return known < 0 ? AWS_CLI_ORDER.length : known;
}

/**
 * A token `@aws-sdk/rds-signer` signed for {@link rdsSigningHost}, printed
 * as the AWS CLI prints it: the `host:port` prefix as typed, and the
 * parameters in botocore's order (`X-Amz-Signature` last) rather than
 * sorted. Neither is signed, so the signature stands, and dbtoken and
 * `aws rds generate-db-auth-token` make the same token. A token of another
 * shape is returned as it is.
 *
 * @example
 * ```ts
 * asAwsCliPrints('mydb.example:5432/?Action=connect&...&X-Amz-Signature=ab12&X-Amz-SignedHeaders=host', 'MyDB.example', 5432);
 * // 'MyDB.example:5432/?Action=connect&...&X-Amz-SignedHeaders=host&X-Amz-Signature=ab12'
 * ```
 */
export function asAwsCliPrints(token: string, hostname: string, port: number): string {
  const signed = `${rdsSigningHost(hostname, port)}/?`;
  if (!token.startsWith(signed)) return token;
  // Array.prototype.sort is stable: parameters of equal rank keep their order.
  const pairs = token.slice(signed.length).split('&').sort((a, b) => cliRank(a) - cliRank(b));
  return `${hostname}:${port}/?${pairs.join('&')}`;
}
