/** The `--help` texts. */

const COMMON = `Common options:
  --json     print the result as JSON
  --debug    on failure, also print the error's stack and causes (tokens and keys removed)
  --help     print this help

Exit codes: 0 success, 1 refused login or failed token fetch, 2 bad arguments.`;

export const MAIN_HELP = `Usage: dbtoken <command> [options]

Short-lived cloud IAM tokens for database logins: fetch one, or log in with
one and see who the database says you are.

Commands:
  token aws   print an AWS RDS / Aurora IAM token
  token oci   fetch an OCI IAM db-token into ~/.oci/db-token (for SQL*Plus, SQLcl)
  whoami      log in once with an IAM token and print the database's view of you
  sql         print the SQL that maps IAM identities to database users
  policy      print the IAM policies that allow database logins

Run "dbtoken <command> --help" for a command's options.
Other options: --help, --version.

Exit codes: 0 success, 1 refused login or failed token fetch, 2 bad arguments.`;

export const TOKEN_HELP = `Usage: dbtoken token <aws|oci> [options]

  token aws   print an AWS RDS / Aurora IAM token (like aws rds generate-db-auth-token)
  token oci   fetch an OCI IAM db-token and its key into a directory (like oci iam db-token get)

Run "dbtoken token aws --help" or "dbtoken token oci --help" for the options.`;

export const TOKEN_AWS_HELP = `Usage: dbtoken token aws --host <host> --port <port> --user <user> [--region <region>] [--json]

Prints an RDS / Aurora IAM authentication token (valid 15 minutes), signed
with the AWS SDK's default credentials (AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO, or the instance or task role).

Options:
  --host <host>      the endpoint the client connects to (mydb.abc123.us-east-1.rds.amazonaws.com)
  --port <port>      the port the client connects to (5432 PostgreSQL, 3306 MySQL)
  --user <user>      the database user the token logs in as
  --region <region>  the database's region; read from RDS endpoints, required for any other host

With --json: {"token": "...", "expiresAt": "<ISO 8601>"}.

${COMMON}`;

export const TOKEN_OCI_HELP = `Usage: dbtoken token oci --scope <urn> [--region <region>] [--auth <method>]
                        [--profile <name>] [--config-file <file>] [--endpoint <url>] [--out <dir>] [--json]

Fetches an OCI IAM db-token (valid 1 hour) and writes it with its private key
as <dir>/token and <dir>/oci_db_key.pem (mode 0600, directory mode 0700),
where SQL*Plus and SQLcl read them with TOKEN_AUTH=OCI_TOKEN. Prints where
it wrote them and when the token expires, never the token itself.

Options:
  --scope <urn>          what the token opens: urn:oracle:db::id::* (your tenancy),
                         urn:oracle:db::id::<tenancy or compartment OCID>, or
                         urn:oracle:db::id::<compartment OCID>::<database OCID>
  --region <region>      the region whose IAM issues the token (the database's region)
  --auth <method>        api_key (default), security_token, instance_principal,
                         resource_principal or oke_workload_identity
  --profile <name>       the OCI config profile (api_key, security_token); default DEFAULT
  --config-file <file>   the OCI config file; default ~/.oci/config
  --endpoint <url>       the Identity Data Plane base URL, instead of https://auth.<region>.<realm domain>
  --out <dir>            where to write the files; default ~/.oci/db-token

With --json: {"dir", "tokenFile", "keyFile", "expiresAt"}.

${COMMON}`;

export const WHOAMI_HELP = `Usage: dbtoken whoami --driver <pg|mysql2|oracledb> <connection options>
                     --token <aws|oci|heatwave> <token options> [--json]

Opens one connection with an IAM token (through createIamPool, a pool of
one), asks the database who you are, prints it, and closes everything. On a
refused login it says what the likely cause is.

  --driver pg        --token aws            prints session_user and whether TLS is in use
  --driver mysql2    --token aws|heatwave   prints USER(), CURRENT_USER() and whether a proxy user maps them
  --driver oracledb  --token oci            prints AUTHENTICATION_METHOD, AUTHENTICATED_IDENTITY,
                                            ENTERPRISE_IDENTITY and CURRENT_USER

Connection options (pg, mysql2):
  --host <host>            the server (for RDS, its endpoint)
  --port <port>            default 5432 (pg) or 3306 (mysql2)
  --user <user>            the database user to log in as
  --database <name>        the database to open
  --ssl-ca <file>          CA certificates (PEM) to trust; default: Node's CA store. TLS is always on
  --insecure               no TLS (local testing only: the token travels in the clear)

Connection options (oracledb):
  --connect-string <s>     tcps://host:port/service, a descriptor, or a tnsnames.ora alias
  --config-dir <dir>       where tnsnames.ora (and the wallet) are
  --insecure               allow a connect string that is not TCPS (testing only)

Token options:
  aws:       --region <region> (read from RDS endpoints); credentials from the AWS SDK's default chain
  oci:       --scope <urn> --region <region> --auth <method> --profile <name> --config-file <file>
             --endpoint <url>   (as for "dbtoken token oci")
  heatwave:  --profile <name> --config-file <file>   (the OCI config profile that signs the login)

${COMMON}`;

export const SQL_HELP = `Usage: dbtoken sql ...

Prints the statements that map IAM identities to database users: Oracle
(IDENTIFIED GLOBALLY), RDS PostgreSQL (rds_iam), RDS MySQL
(AWSAuthenticationPlugin) and MySQL HeatWave (authentication_oci).

This command is not available in this version yet.`;

export const POLICY_HELP = `Usage: dbtoken policy ...

Prints IAM policies for database logins: OCI policy statements (including the
cross-tenancy DEFINE, ENDORSE and ADMIT pairs) and AWS rds-db:connect policy JSON.

This command is not available in this version yet.`;
