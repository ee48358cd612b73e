import { ConfigError, InsecureTransportError, TokenUnavailableError } from '../core/errors.js';
import { UsageError } from './args.js';

/** What the CLI reports for an error: the exit code and one line. */
export interface Failure {
  /** 1: refused login or failed token fetch; 2: bad arguments. */
  readonly exitCode: 1 | 2;
  readonly message: string;
}

/** The kinds of token a command uses. */
export type TokenKindShown = 'aws' | 'dsql' | 'oci' | 'heatwave' | 'azure' | 'gcp';

/** What the failing command was doing, for sharper explanations. */
export interface FailureContext {
  /** `dbtoken whoami`, for "see ... --help". */
  readonly command: string;
  /** The kind of token in use, when known. */
  readonly token?: TokenKindShown | undefined;
  /** The provider's own error, when the driver may have wrapped it without its cause. */
  readonly tokenError?: unknown;
}

/**
 * How the CLI words a library field: the option that sets it and, where the
 * library's fix names library options, the fix in the CLI's own terms.
 */
export interface FieldWording {
  readonly option: string;
  /** Shown in place of the library's fix. */
  readonly fix?: string | undefined;
}

/** `region` of an RDS token, as the CLI words it. */
export const AWS_REGION_WORDING: FieldWording = { option: '--region', fix: 'give an AWS region, such as --region us-east-1' };

/** Fields by dotted path without indexes (`groups.grants`): an option alone, or a {@link FieldWording}. */
export type FieldWordings = Readonly<Record<string, string | FieldWording>>;

/** The token sources' fields (and the OCI config-file keys) as `token` and `whoami` spell them. */
export const PROVIDER_FIELDS: FieldWordings = {
  hostname: { option: '--host', fix: 'give the host name alone, and the port with --port' },
  host: '--host',
  port: '--port',
  username: '--user',
  user: '--user',
  database: '--database',
  // An AWS token's region is worded by AWS_REGION_WORDING (see explainConfig).
  region: { option: '--region', fix: 'give an OCI region, such as --region us-ashburn-1' },
  scope: {
    option: '--scope',
    fix: 'write it as urn:oracle:db::id::*, urn:oracle:db::id::<tenancy or compartment OCID>, urn:oracle:db::id::<compartment OCID>::<database OCID>, or urn:oracle:db::path::<tenancy name>[:<compartment name>][::<database OCID>]',
  },
  'scope.tenancy': '--scope',
  'scope.compartment': '--scope',
  'scope.database': '--scope',
  endpoint: '--endpoint',
  'auth.type': '--auth',
  'auth.configFile': { option: '--config-file', fix: 'create it with `oci setup config`, or give another with --config-file' },
  configFile: '--config-file',
  'auth.profile': '--profile',
  profile: { option: '--profile', fix: 'pick one with --profile, or create it with `oci setup config` or `oci session authenticate`' },
  'auth.region': { option: '--region', fix: 'add region = <region id> to the profile, or give --region' },
  key_file: '--profile',
  fingerprint: '--profile',
  pass_phrase: '--profile',
  security_token_file: '--profile',
  connectString: '--connect-string',
  configDir: '--config-dir',
  driver: '--driver',
};

/** An Aurora DSQL token's fields (`awsDsqlToken()`'s) as `token dsql` and `whoami --token dsql` spell them; its region is worded by {@link AWS_REGION_WORDING}. */
export const DSQL_FIELDS: FieldWordings = {
  hostname: { option: '--host', fix: 'give the cluster endpoint alone, such as abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws (whoami takes the port with --port)' },
  username: '--user',
  admin: '--admin',
  expiresIn: { option: '--expires-in', fix: 'give seconds, such as 900 (the default)' },
};

/** An Azure Entra ID token's fields (`azureEntraToken()`'s) as `token azure` and `whoami --token azure` spell them. */
export const AZURE_FIELDS: FieldWordings = {
  username: {
    option: '--user',
    fix: 'give --user: the role made for it (pgaadauth_create_principal_with_oid, or CREATE AADUSER ... IDENTIFIED BY; see dbtoken sql azure-postgres and azure-mysql)',
  },
};

/** A Cloud SQL token's fields (`gcpCloudSqlToken()`'s) as `token gcp` and `whoami --token gcp` spell them. */
export const GCP_FIELDS: FieldWordings = {
  username: { option: '--user', fix: "give --user: the database user Cloud SQL made for the principal (see dbtoken sql cloud-sql)" },
  engine: '--engine',
  auth: '--key-file',
  'auth.keyFile': '--key-file',
  instance: { option: '--instance', fix: 'give the connection name project:region:instance (gcloud sql instances describe <instance> --format="value(connectionName)" prints it)' },
};

/** The wording of a field: its own entry, else that of its longest listed prefix (`groups[0].grants[1].on` → `groups.grants`). */
export function wordingFor(field: string, fields: FieldWordings): FieldWording | undefined {
  const parts = field.replace(/\[\d+\]/g, '').split('.');
  for (let n = parts.length; n > 0; n--) {
    const path = parts.slice(0, n).join('.');
    if (!Object.hasOwn(fields, path)) continue;
    const w = fields[path]!;
    return typeof w === 'string' ? { option: w } : w;
  }
  return undefined;
}

/**
 * A {@link ConfigError} as the CLI's one line, from its data:
 * `<option>: <problem>; <fix>`, with the CLI's fix where it has one. A field
 * without wording keeps the library's name.
 */
export function configErrorLine(err: ConfigError, wording: FieldWording | undefined): string {
  const fix = wording?.fix ?? err.fix;
  return `${wording?.option ?? err.field}: ${err.problem}${fix ? `; ${fix}` : ''}`;
}

/** Runs `fn`, turning a library {@link ConfigError} into a usage error (exit 2) worded by `wordingOf`. */
export function withUsageErrors<T>(fn: () => T, wordingOf: (field: string) => FieldWording | undefined): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const wording = wordingOf(err.field);
    throw new UsageError(wording?.option, configErrorLine(err, wording));
  }
}

/** The error, its causes, and the errors inside AggregateErrors, outermost first. */
export function causeChain(err: unknown): unknown[] {
  const out: unknown[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && out.length < 16) {
    const e = queue.shift();
    if (e === undefined || e === null || out.includes(e)) continue;
    out.push(e);
    if (typeof e === 'object') {
      const { cause, errors } = e as { cause?: unknown; errors?: unknown };
      if (cause !== undefined) queue.push(cause);
      if (Array.isArray(errors)) queue.push(...errors);
    }
  }
  return out;
}

function prop(e: unknown, key: string): unknown {
  return typeof e === 'object' && e !== null ? (e as Record<string, unknown>)[key] : undefined;
}

/** The error's message on one line, without a trailing period. */
export function messageOf(e: unknown): string {
  const m = e instanceof Error ? e.message : typeof prop(e, 'message') === 'string' ? (prop(e, 'message') as string) : String(e);
  return m.replace(/\s*\n\s*/g, ' ').trim().replace(/\.$/, '');
}

/** `ORA-01017`, `NJS-087` from `code` or the start of the message. */
function oracleCode(e: unknown): string | undefined {
  const code = prop(e, 'code');
  if (typeof code === 'string' && /^(ORA|NJS)-\d+$/.test(code)) return code;
  return /^((?:ORA|NJS)-\d+)/.exec(messageOf(e))?.[1];
}

const TLS_CERT_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);
const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused: is the server running, and are --host and --port right?',
  ENOTFOUND: 'the host name does not resolve: check --host',
  EAI_AGAIN: 'the host name does not resolve (DNS did not answer): check --host and your network',
  ETIMEDOUT: 'the connection timed out: check --host, --port, and any firewall or security group in between',
  EHOSTUNREACH: 'the host is unreachable: check --host and your network',
  ECONNRESET: 'the server closed the connection: does it speak this protocol on that port, and does it accept TLS?',
};

const refused = (what: string, why: string): Failure => ({ exitCode: 1, message: `${what}. Likely cause: ${why}` });

function explainConfig(err: ConfigError, ctx: FailureContext): Failure {
  // Nothing on the command line is wrong: the session needs refreshing.
  if (err.field === 'security_token_file' && /\bexpired\b/.test(err.problem)) {
    return refused(`the OCI session token has expired: ${err.problem}`, 'sessions from `oci session authenticate` last 1 hour: run `oci session refresh` (or `oci session authenticate` once it can no longer be refreshed) and try again');
  }
  // An AWS profile without a region is found only when the first token is asked for.
  const aws = ctx.token === 'aws' || ctx.token === 'dsql';
  const own = ctx.token === 'dsql' ? DSQL_FIELDS : ctx.token === 'azure' ? AZURE_FIELDS : ctx.token === 'gcp' ? GCP_FIELDS : {};
  const wording = aws && err.field === 'region' ? AWS_REGION_WORDING : wordingFor(err.field, own) ?? wordingFor(err.field, PROVIDER_FIELDS);
  return { exitCode: 2, message: configErrorLine(err, wording) };
}

/**
 * Why Azure gave no token: `@azure/identity`'s errors, worded for the CLI.
 * Their messages are long (troubleshooting links, trace ids, every
 * credential of the chain): the line keeps Entra's `AADSTS...` description,
 * or the gist, and --debug shows the rest.
 */
function explainAzureUnavailable(chain: readonly unknown[], has: (re: RegExp) => boolean): Failure {
  const all = chain.map(messageOf).join(' / ');
  const aadsts = /AADSTS\d+: [^.]*/.exec(all)?.[0];
  const entra = (what: string): string => `${what}${aadsts !== undefined ? ` (${aadsts})` : ''}`;
  if (has(/AADSTS7000215|AADSTS7000222|invalid_client/)) {
    return refused(entra('Entra ID refused the client secret'), "AZURE_CLIENT_SECRET is wrong or has expired (it must be the secret's value, not its id): create a new one with az ad app credential reset");
  }
  if (has(/AADSTS700016|unauthorized_client/)) {
    return refused(entra('Entra ID does not know the application'), 'AZURE_CLIENT_ID is not an app registered in the tenant AZURE_TENANT_ID: check both');
  }
  if (has(/AADSTS90002|AADSTS900023|invalid_tenant/)) {
    return refused(entra('Entra ID does not know the tenant'), 'AZURE_TENANT_ID is not a tenant id (or domain) of this cloud: check it, and AZURE_AUTHORITY_HOST for a sovereign cloud');
  }
  if (has(/endpoints_resolution_error|untrusted_authority/)) {
    return refused(
      'no token: the Entra ID authority could not be reached or trusted',
      'AZURE_AUTHORITY_HOST (or AZURE_TENANT_ID) names no authority this machine can reach, or its certificate is not trusted (give Node the CA with NODE_EXTRA_CA_CERTS=<PEM file>)',
    );
  }
  if (has(/AggregateAuthenticationError|CredentialUnavailableError/)) {
    return refused(
      'no token: no credential of DefaultAzureCredential was available (--debug shows why each one was not)',
      'set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (a service principal), run where a managed or workload identity is available, or sign in with az login',
    );
  }
  return { exitCode: 1, message: `no token: ${entra(messageOf(chain[0]).split(/ To troubleshoot,| More details:/)[0]!)}` };
}

/** Why Google gave no token: google-auth-library's errors, worded for the CLI. */
function explainGcpUnavailable(chain: readonly unknown[], has: (re: RegExp) => boolean, netCode: string | undefined): Failure {
  // gaxios repeats its message in its cause: each once.
  const text = [...new Set(chain.map(messageOf))].join(' / ');
  if (has(/Could not load the default credentials|Unable to detect a Project Id/)) {
    return refused(
      `no token: ${text}`,
      'no Google credentials were found: run gcloud auth application-default login, set GOOGLE_APPLICATION_CREDENTIALS or --key-file to a service account key, or run on Google Cloud with a service account attached',
    );
  }
  if (has(/ENOENT|no such file/)) {
    return refused(`no token: ${text}`, 'the key file (--key-file or GOOGLE_APPLICATION_CREDENTIALS) does not exist: check the path');
  }
  if (has(/invalid_grant|Invalid JWT Signature|account not found/)) {
    return refused(`Google refused the credentials: ${text}`, "the service account key was deleted or disabled, the account no longer exists, a user's ADC must be renewed (gcloud auth application-default login), or this machine's clock is off");
  }
  if (has(/invalid_scope/)) {
    return refused(`Google refused the scope: ${text}`, 'the credentials cannot have the sqlservice.login scope: for a user, run gcloud auth application-default login again');
  }
  if (netCode !== undefined) {
    return refused(`no token, Google could not be reached: ${text}`, `the metadata server or oauth2.googleapis.com did not answer (${netCode}): check your network or proxy (HTTPS_PROXY, NO_PROXY), and GCE_METADATA_HOST if set`);
  }
  return { exitCode: 1, message: `no token: ${text}` };
}

function explainUnavailable(err: TokenUnavailableError, ctx: FailureContext): Failure {
  const chain = causeChain(err).slice(1);
  const text = chain.map(messageOf).join(' / ') || messageOf(err);
  const has = (re: RegExp): boolean => chain.some((e) => re.test(messageOf(e)) || re.test(String(prop(e, 'name') ?? '')));
  const status = chain.map((e) => prop(e, 'statusCode')).find((s) => typeof s === 'number') as number | undefined;
  const netCode = chain.map((e) => prop(e, 'code')).find((c): c is string => typeof c === 'string' && c in NETWORK_CODES);
  if (ctx.token === 'azure') return explainAzureUnavailable(chain, has);
  if (ctx.token === 'gcp') return explainGcpUnavailable(chain, has, netCode);
  if (has(/CredentialsProviderError|Could not load credentials/)) {
    return refused(`no token: ${text}`, 'no AWS credentials were found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or AWS_PROFILE, or run where a role provides them');
  }
  if (has(/expired/i)) {
    return refused(
      `no token, something has expired: ${text}`,
      'the credentials the token is made from have expired: an OCI session (run `oci session refresh`), AWS temporary credentials (renew them), or this machine\'s clock is wrong',
    );
  }
  if (status === 401) {
    return refused(`IAM refused the request (401): ${text}`, 'IAM does not know the signing key: check the profile\'s fingerprint and key_file, that the API key is uploaded for that user, and that a session token has not expired');
  }
  if (status === 404) {
    return refused(`IAM answered 404: ${text}`, '--scope names a tenancy, compartment or database this principal cannot see, or no IAM policy lets it use the database family there');
  }
  if (netCode !== undefined) {
    // --host and --port name the database, not IAM: the hint is about the IAM endpoint.
    return refused(`no token, IAM could not be reached: ${text}`, `the IAM endpoint did not answer (${netCode}): check --region and --endpoint, and your network or proxy`);
  }
  return { exitCode: 1, message: `no token: ${text}` };
}

/** Why Azure Database for PostgreSQL refuses an Entra token. */
const AZURE_PG_REFUSAL =
  'the server did not accept the Entra ID token: no role was made for this identity with pgaadauth_create_principal (by name) or pgaadauth_create_principal_with_oid (bound to its object id; see dbtoken sql azure-postgres), --user differs from the UPN in case (role names are case-sensitive), the token is for another tenant than the server\'s, or Microsoft Entra authentication is not enabled on the server';
/** Why Azure Database for MySQL refuses an Entra token. */
const AZURE_MYSQL_REFUSAL =
  "the server did not accept the Entra ID token: no user was made for this identity with CREATE AADUSER (see dbtoken sql azure-mysql), --user differs from that user's name, the token is for another tenant than the server's, or Microsoft Entra authentication is not enabled on the server (aad_auth_only, an Entra admin set)";
/** Why Cloud SQL refuses an IAM login. */
const GCP_REFUSAL =
  'Cloud SQL did not accept the IAM token: the principal is not added to the instance as an IAM user (gcloud sql users create ... --type=cloud_iam_user or cloud_iam_service_account; see dbtoken sql cloud-sql), it lacks roles/cloudsql.instanceUser on the project (see dbtoken policy gcp), --user is not the name Cloud SQL gave it, or the instance does not have the cloudsql.iam_authentication flag on';

function explainLoginRefusal(e: unknown, ctx: FailureContext): Failure | undefined {
  const code = prop(e, 'code');
  const msg = messageOf(e);
  if (code === '28000' || code === '28P01') {
    if (/pg_hba\.conf/.test(msg)) {
      return refused(`login refused (SQLSTATE ${code}): ${msg}`, 'the server has no pg_hba.conf rule that lets this user log in from here with this TLS setting');
    }
    if (ctx.token === 'azure') return refused(`login refused (SQLSTATE ${code}): ${msg}`, AZURE_PG_REFUSAL);
    if (ctx.token === 'gcp') return refused(`login refused (SQLSTATE ${code}): ${msg}`, GCP_REFUSAL);
    if (ctx.token === 'dsql') {
      return refused(
        `login refused (SQLSTATE ${code}): ${msg}`,
        "the cluster did not accept the IAM token: the role is not mapped to the AWS identity that signed it (AWS IAM GRANT <role> TO '<IAM role ARN>', see dbtoken sql dsql), the token was signed for another cluster endpoint (--host) or region (--region), the AWS identity is not allowed dsql:DbConnect (dsql:DbConnectAdmin for --admin; see dbtoken policy dsql), or this machine's clock is off",
      );
    }
    return refused(
      `login refused (SQLSTATE ${code}): ${msg}`,
      'the server did not accept the IAM token: the user lacks `GRANT rds_iam`, the token was signed for another endpoint (--host and --port must be the endpoint you connect to, --region its region), the AWS identity is not allowed rds-db:connect for this user, or this machine\'s clock is off',
    );
  }
  if (prop(e, 'errno') === 1045 || code === 'ER_ACCESS_DENIED_ERROR') {
    if (ctx.token === 'azure') return refused(`login refused (1045): ${msg}`, AZURE_MYSQL_REFUSAL);
    if (ctx.token === 'gcp') return refused(`login refused (1045): ${msg}`, GCP_REFUSAL);
    if (ctx.token === 'heatwave') {
      return refused(
        `login refused (1045): ${msg}`,
        'the MySQL user is not IDENTIFIED WITH authentication_oci (nor mapped through a group proxy user), the profile\'s API key is not registered with that IAM user (check fingerprint and key_file), or its security token has expired (`oci session refresh`)',
      );
    }
    return refused(
      `login refused (1045): ${msg}`,
      "the user is not IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS', the token was signed for another endpoint (--host and --port must be the endpoint you connect to, --region its region), the AWS identity is not allowed rds-db:connect for this user, or this machine's clock is off",
    );
  }
  switch (oracleCode(e)) {
    case 'ORA-01017':
      return refused(
        `login refused (ORA-01017): ${msg}`,
        "no database user is mapped to this IAM identity (CREATE USER ... IDENTIFIED GLOBALLY AS 'IAM_PRINCIPAL_NAME=...' or 'IAM_GROUP_NAME=...'), IAM logins are not enabled on the database (identity_provider_type = OCI_IAM), or no IAM policy allows `use autonomous-database-family` (or `database-family`) for this principal",
      );
    case 'ORA-25707':
      return refused(
        `the database refused the token as invalid (ORA-25707): ${msg}`,
        "the token's scope does not cover this database (--scope must name its tenancy, compartment or OCID), it was issued by another region's IAM (--region), or the key sent with it is not the token's",
      );
    case 'ORA-25708':
      return refused(`the database refused the token as expired (ORA-25708): ${msg}`, "db-tokens last 1 hour: fetch a new one, and check this machine's clock");
    case 'NJS-087':
      return refused(`the driver refused an expired token (NJS-087): ${msg}`, "the token expired before the connection used it: check this machine's clock");
  }
  return undefined;
}

/** mysql2 reports every TLS failure as HANDSHAKE_SSL_ERROR: the Node error code, read back from its message. */
function tlsCodeFromMessage(msg: string): string | undefined {
  if (/altnames|does not match certificate/i.test(msg)) return 'ERR_TLS_CERT_ALTNAME_INVALID';
  if (/self[- ]signed certificate in certificate chain/i.test(msg)) return 'SELF_SIGNED_CERT_IN_CHAIN';
  if (/self[- ]signed certificate/i.test(msg)) return 'DEPTH_ZERO_SELF_SIGNED_CERT';
  if (/unable to (?:verify the first certificate|get (?:local )?issuer certificate)/i.test(msg)) return 'UNABLE_TO_VERIFY_LEAF_SIGNATURE';
  if (/certificate has expired/i.test(msg)) return 'CERT_HAS_EXPIRED';
  if (/certificate is not yet valid/i.test(msg)) return 'CERT_NOT_YET_VALID';
  return undefined;
}

/** node-oracledb's NJS-506 carries Node's TLS message (no code) after its own first line. */
function explainOracleTls(e: unknown): Failure | undefined {
  if (oracleCode(e) !== 'NJS-506') return undefined;
  const code = tlsCodeFromMessage(messageOf(e));
  if (code !== undefined && TLS_CERT_CODES.has(code)) {
    return refused(
      `TLS refused: the database's certificate is not trusted (${code})`,
      "Autonomous Database's certificates chain to a CA that Node trusts; for another database, give Node its CA with NODE_EXTRA_CA_CERTS=<PEM file>, or name a wallet folder with wallet_location in --connect-string",
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return refused(`TLS refused: the database's certificate does not name the host in --connect-string (${code})`, 'connect with the host name of the database\'s connection strings, not an alias or an address');
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return refused(`TLS refused: the database's certificate is not valid now (${code})`, "the database's certificate has expired, or this machine's clock is wrong");
  }
  return undefined;
}

/** Where the CA of each cloud's database certificates comes from. */
const CA_HINTS: Partial<Record<TokenKindShown, string>> = {
  azure: "pass the CA that signed it with --ssl-ca <file> (Azure Database's certificates chain to DigiCert Global Root G2 and Microsoft RSA Root Certificate Authority 2017)",
  gcp: 'pass the instance\'s server CA with --ssl-ca <file> (gcloud sql instances describe <instance> --format="value(serverCaCert.cert)" prints it)',
};

function explainTls(e: unknown, ctx: FailureContext): Failure | undefined {
  const oracle = explainOracleTls(e);
  if (oracle) return oracle;
  const msg = messageOf(e);
  const raw = prop(e, 'code');
  const code = raw === 'HANDSHAKE_SSL_ERROR' ? (tlsCodeFromMessage(msg) ?? raw) : raw;
  if (typeof code === 'string' && TLS_CERT_CODES.has(code)) {
    return refused(
      `TLS refused: the server's certificate is not trusted (${code})`,
      (ctx.token !== undefined ? CA_HINTS[ctx.token] : undefined) ?? 'pass the CA that signed it with --ssl-ca <file> (for RDS: the bundle from https://truststore.pki.rds.amazonaws.com)',
    );
  }
  if (ctx.token === 'gcp' && /, not the Cloud SQL instance /.test(msg)) {
    return refused(`TLS refused: ${msg}`, '--instance names another instance than the server at --host: check both (gcloud sql instances describe <instance> prints its connectionName and ipAddresses)');
  }
  if ((code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') && ctx.token === 'gcp') {
    return refused(`TLS refused: ${msg}`, "Cloud SQL's certificate names the instance (project:instance), not its address: give --instance project:region:instance (with --driver pg), or --ssl-mode verify-ca");
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') {
    return refused(`TLS refused: ${msg}`, 'the certificate does not name --host: connect with the name on the certificate (the RDS endpoint, not an alias), or, for a server reached by an address its certificate lacks, --ssl-mode verify-ca');
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return refused(`TLS refused: the server's certificate is not valid now (${code})`, "the server's certificate has expired, or this machine's clock is wrong");
  }
  if (code === 'HANDSHAKE_NO_SSL_SUPPORT' || /does not support SSL/i.test(msg)) {
    return refused(`TLS refused: ${msg}`, 'the server does not accept TLS, and dbtoken does not send a token in the clear (--insecure allows it, for local testing only)');
  }
  return undefined;
}

/** The optional peer dependencies the commands load, and what to install for each. */
const PEER_PACKAGES: Readonly<Record<string, string>> = {
  '@aws-sdk/rds-signer': '@aws-sdk/rds-signer',
  '@aws-sdk/dsql-signer': '@aws-sdk/dsql-signer',
  '@azure/identity': '@azure/identity',
  'google-auth-library': 'google-auth-library',
  'oci-common': 'oci-common@2.139.1 oci-identitydataplane@2.139.1',
  'oci-identitydataplane': 'oci-common@2.139.1 oci-identitydataplane@2.139.1',
  pg: 'pg',
  mysql2: 'mysql2',
  oracledb: 'oracledb',
};

/** A peer dependency that is not installed: which one, and the install command. */
function missingPackage(e: unknown): Failure | undefined {
  const code = prop(e, 'code');
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return undefined;
  const name = /Cannot find (?:package|module) '((?:@[^/']+\/)?[^/']+)/.exec(messageOf(e))?.[1];
  const install = name === undefined ? undefined : PEER_PACKAGES[name];
  if (install === undefined) return undefined;
  return { exitCode: 1, message: `this command needs the ${name} package, which is not installed: npm install ${install}` };
}

/** node-oracledb's errors about the connect string or tnsnames.ora, before any server was reached. */
const CONNECT_STRING_ERRORS: Readonly<Record<string, string>> = {
  'NJS-512': '--connect-string',
  'NJS-514': '--connect-string',
  'NJS-515': '--connect-string',
  'NJS-516': '--config-dir',
  'NJS-517': '--connect-string',
  'NJS-520': '--config-dir',
};

/** Why a command failed, in one line, and the exit code to report it with. */
export function explainFailure(err: unknown, ctx: FailureContext): Failure {
  if (err instanceof UsageError) return { exitCode: 2, message: `${err.message}; see ${ctx.command} --help` };
  const missing = causeChain(err).map(missingPackage).find((f) => f !== undefined);
  if (missing) return missing;
  const njs = oracleCode(err);
  if (njs !== undefined && njs in CONNECT_STRING_ERRORS) return { exitCode: 2, message: `${CONNECT_STRING_ERRORS[njs]}: ${messageOf(err)}; see ${ctx.command} --help` };
  // node-oracledb replaces an accessToken callback's error with NJS-168 and drops it.
  if (oracleCode(err) === 'NJS-168' && ctx.tokenError !== undefined) return explainFailure(ctx.tokenError, { ...ctx, tokenError: undefined });
  const chain = causeChain(err);
  const config = chain.find((e): e is ConfigError => e instanceof ConfigError);
  if (config) return explainConfig(config, ctx);
  const insecure = chain.find((e): e is InsecureTransportError => e instanceof InsecureTransportError);
  if (insecure) {
    return refused('TLS refused: dbtoken sends no token over a connection without TLS', 'the connection was not encrypted: check that the server speaks TLS on --host and --port (--insecure allows it, for local testing only)');
  }
  const unavailable = chain.find((e): e is TokenUnavailableError => e instanceof TokenUnavailableError);
  if (unavailable) return explainUnavailable(unavailable, ctx);
  for (const e of chain) {
    const f = explainLoginRefusal(e, ctx) ?? explainTls(e, ctx);
    if (f) return f;
  }
  for (const e of chain) {
    const code = prop(e, 'code');
    if (typeof code === 'string' && code in NETWORK_CODES) {
      const address = prop(e, 'address') ?? prop(e, 'hostname');
      const port = prop(e, 'port');
      const where = typeof address === 'string' ? ` to ${address}${typeof port === 'number' ? `:${port}` : ''}` : '';
      return { exitCode: 1, message: `cannot connect${where}: ${NETWORK_CODES[code]}` };
    }
    if (code === '3D000') return { exitCode: 1, message: `--database: ${messageOf(e)}` };
    if (/connection timeout|timeout expired|Query read timeout|NJS-510|NJS-123/i.test(messageOf(e))) {
      return { exitCode: 1, message: `timed out: ${messageOf(e)}. Likely cause: the server is unreachable from here (check --host, --port, and any firewall or security group in between) or stopped answering` };
    }
  }
  const first = chain.find((e) => messageOf(e) !== '') ?? err;
  const name = prop(first, 'name');
  return { exitCode: 1, message: `${typeof name === 'string' && name !== 'Error' ? `${name}: ` : ''}${messageOf(first)}` };
}

const DEBUG_PROPS_SKIPPED = new Set(['message', 'stack', 'cause', 'errors']);

/**
 * `--debug`'s view of an error: the stack of each error in the chain and its
 * own scalar properties (code, errno, statusCode, ...). Objects hanging off
 * an error (sockets, requests, configs) are left out. The caller redacts.
 */
export function debugReport(err: unknown): string {
  return causeChain(err)
    .map((e, i) => {
      const head = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
      const props =
        typeof e === 'object' && e !== null
          ? Object.entries(e)
              .filter(([k, v]) => !DEBUG_PROPS_SKIPPED.has(k) && ['string', 'number', 'boolean'].includes(typeof v))
              .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)
          : [];
      return [`${i === 0 ? 'stack' : 'cause'}: ${head}`, ...props].join('\n');
    })
    .join('\n');
}
