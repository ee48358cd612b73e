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

/**
 * A token `@aws-sdk/rds-signer` signed for {@link rdsSigningHost} (or
 * `@aws-sdk/dsql-signer` for the host alone, without `port`), with its
 * `host:port` (or `host`) prefix as typed, as the AWS CLI prints it. The prefix is not
 * signed, so the signature stands: dbtoken's token and `aws rds
 * generate-db-auth-token`'s carry the same signature and parameters (the
 * signer sorts them; botocore puts `X-Amz-Signature` last). A token of
 * another shape is returned as it is.
 *
 * @example
 * ```ts
 * withHostAsTyped('mydb.example:5432/?Action=connect&...', 'MyDB.example', 5432);
 * // 'MyDB.example:5432/?Action=connect&...'
 * ```
 */
export function withHostAsTyped(token: string, hostname: string, port?: number): string {
  const signed = `${port === undefined ? asciiLowerCase(hostname) : rdsSigningHost(hostname, port)}/?`;
  return token.startsWith(signed) ? `${hostname}${port === undefined ? '' : `:${port}`}/?${token.slice(signed.length)}` : token;
}
