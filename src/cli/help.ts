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
  token aws    print an AWS RDS / Aurora IAM token
  token dsql   print an Aurora DSQL IAM token
  token azure  print a Microsoft Entra ID token for Azure Database for PostgreSQL and MySQL
  token gcp    print a Cloud SQL IAM login token (Google Cloud)
  token oci    fetch an OCI IAM db-token into ~/.oci/db-token (for SQL*Plus, SQLcl)
  whoami       log in once with an IAM token and print the database's view of you
  sql          print the SQL that maps IAM identities to database users
  policy       print the IAM policies (and gcloud role bindings) that allow database logins

Run "dbtoken <command> --help" for a command's options.
Other options: --help, --version.

Exit codes: 0 success, 1 refused login or failed token fetch, 2 bad arguments.`;

export const TOKEN_HELP = `Usage: dbtoken token <aws|oci> [options]
       dbtoken token dsql [options]
       dbtoken token <azure|gcp> [options]

  token aws   print an AWS RDS / Aurora IAM token (like aws rds generate-db-auth-token)
  token dsql  print an Aurora DSQL IAM token (like aws dsql generate-db-connect-auth-token)
  token oci   fetch an OCI IAM db-token and its key into a directory (like oci iam db-token get)

  token azure  print a Microsoft Entra ID token for Azure Database for PostgreSQL and MySQL
               (like az account get-access-token --resource-type oss-rdbms)
  token gcp    print a Cloud SQL IAM login token (an OAuth2 access token with the sqlservice.login scope)

Run "dbtoken token <kind> --help" for the options.`;

export const TOKEN_AZURE_HELP = `Usage: dbtoken token azure [--user <name>] [--json]

Prints a Microsoft Entra ID access token for Azure Database for PostgreSQL
and Azure Database for MySQL (flexible servers), the password of a login over
TLS, from @azure/identity's DefaultAzureCredential: AZURE_TENANT_ID,
AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH),
a workload identity (AKS), a managed identity (App Service, Functions, VMs),
or your az login. AZURE_AUTHORITY_HOST picks another cloud's Entra ID; a host
outside Microsoft's clouds (a private cloud, Azure Stack) is used as given,
without instance discovery. The token is not bound to one server.

Options:
  --user <name>   the database user the token logs in as (shown with --json only): the role
                  made for a service principal or managed identity; an Entra user's is its UPN,
                  read from the token

With --json: {"token": "...", "expiresAt": "<ISO 8601>", "user": "..."} (user: --user, else the
token's UPN; absent for a service principal's token, which names none).

${COMMON}`;

export const TOKEN_GCP_HELP = `Usage: dbtoken token gcp --engine <postgres|mysql> [--key-file <file>] [--user <name>] [--json]

Prints a Cloud SQL IAM database login token: an OAuth2 access token with the
scope https://www.googleapis.com/auth/sqlservice.login, the password of a
login over TLS, from google-auth-library's application default credentials
(GOOGLE_APPLICATION_CREDENTIALS, gcloud auth application-default login, or
the metadata server's service account on Compute Engine, GKE, Cloud Run and
Cloud Functions), or from a service account key. The token is not bound to
one instance.

Options:
  --engine <engine>  postgres or mysql: Cloud SQL names the principal's database user differently
                     for each (shown with --json)
  --key-file <file>  a service account key (JSON) instead of application default credentials
  --user <name>      the database user, if not Cloud SQL's name for the principal (shown with --json)

With --json: {"token": "...", "expiresAt": "<ISO 8601>", "user": "..."} (user: --user, else the
principal's Cloud SQL user: on PostgreSQL a service account's email without .gserviceaccount.com
and a person's whole email, on MySQL the part before the @; absent when the credentials name no email).

${COMMON}`;

export const TOKEN_AWS_HELP = `Usage: dbtoken token aws --host <host> --port <port> --user <user> [--region <region>] [--json]

Prints an RDS / Aurora IAM authentication token (valid 15 minutes), signed
with the AWS SDK's default credentials (AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO, or the instance or task role).

Options:
  --host <host>      the endpoint the client connects to (mydb.abc123.us-east-1.rds.amazonaws.com)
  --port <port>      the port the client connects to (5432 PostgreSQL, 3306 MySQL)
  --user <user>      the database user the token logs in as
  --region <region>  the database's region; without it, read from an RDS endpoint, AWS_REGION,
                     AWS_DEFAULT_REGION or the AWS profile's region (AWS_PROFILE, AWS_CONFIG_FILE)

With --json: {"token": "...", "expiresAt": "<ISO 8601>"}.

${COMMON}`;

export const TOKEN_DSQL_HELP = `Usage: dbtoken token dsql --host <cluster endpoint> (--user <role> | --admin) [--region <region>]
                         [--expires-in <seconds>] [--json]

Prints an Aurora DSQL IAM authentication token, like aws dsql
generate-db-connect-auth-token (generate-db-connect-admin-auth-token with
--admin), signed with the AWS SDK's default credentials (AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO, or the instance or task role). It is
the password of one PostgreSQL login, over TLS, to the database postgres.

Options:
  --host <host>           the cluster endpoint, <cluster id>.dsql.<region>.on.aws, without a port:
                          the token is signed for the host alone
  --user <role>           the database role to log in as, mapped to your IAM identity with
                          AWS IAM GRANT (see dbtoken sql dsql)
  --admin                 log in as the admin role (a DbConnectAdmin token) instead
  --region <region>       the cluster's region; without it, read from the cluster endpoint, AWS_REGION,
                          AWS_DEFAULT_REGION or the AWS profile's region (AWS_PROFILE, AWS_CONFIG_FILE)
  --expires-in <seconds>  how long the token is accepted, 60 to 604800 (7 days); default 900

With --json: {"token": "...", "expiresAt": "<ISO 8601>"}.

${COMMON}`;

export const TOKEN_OCI_HELP = `Usage: dbtoken token oci --scope <urn> [--region <region>] [--auth <method>]
                        [--profile <name>] [--config-file <file>] [--endpoint <url>] [--out <dir>] [--json]

Fetches an OCI IAM db-token (valid 1 hour) and writes it with its private key
as <dir>/token and <dir>/oci_db_key.pem (mode 0600), where SQL*Plus and SQLcl
read them with TOKEN_AUTH=OCI_TOKEN. Prints where it wrote them and when the
token expires, never the token itself. A directory it creates gets mode 0700;
an existing one keeps its mode, and one that others may write without a
sticky bit is refused.

Options:
  --scope <urn>          what the token opens: urn:oracle:db::id::* (your tenancy),
                         urn:oracle:db::id::<tenancy or compartment OCID>,
                         urn:oracle:db::id::<compartment OCID>::<database OCID>, or by name
                         urn:oracle:db::path::<tenancy>[:<compartment>][::<database OCID>]
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
                     --token <aws|dsql|oci|heatwave> <token options> [--json]
       dbtoken whoami --driver <pg|mysql2> <connection options> --token <azure|gcp> <token options> [--json]

Opens one connection with an IAM token (through createIamPool, a pool of
one), asks the database who you are, prints it, and closes everything. On a
refused login it says what the likely cause is.

  --driver pg        --token aws|dsql|azure|gcp       prints session_user and whether TLS is in use
  --driver mysql2    --token aws|heatwave|azure|gcp   prints USER(), CURRENT_USER(), whether a proxy user
                                                      maps them and whether TLS is in use
  --driver oracledb  --token oci            prints AUTHENTICATION_METHOD, AUTHENTICATED_IDENTITY,
                                            ENTERPRISE_IDENTITY and CURRENT_USER

Connection options (pg, mysql2):
  --host <host>            the server (for RDS, its endpoint)
  --port <port>            default 5432 (pg) or 3306 (mysql2)
  --user <user>            the database user to log in as (dsql: the role; or --admin); azure and gcp:
                           default, the user the token names (an Entra user's UPN; Cloud SQL's name
                           for the principal)
  --database <name>        the database to open (dsql: default postgres)
  --ssl-ca <file>          CA certificates (PEM) to trust; default: Node's CA store. TLS is always on
  --ssl-mode <mode>        verify-full (default): the certificate must be trusted and name --host;
                           verify-ca: trusted only (for servers reached by an address their certificate lacks)
  --insecure               no TLS (local testing only: the token travels in the clear)

Connection options (oracledb):
  --connect-string <s>     tcps://host:port/service, a descriptor, or a tnsnames.ora alias
  --config-dir <dir>       where tnsnames.ora (and the wallet) are
  --insecure               allow a connect string that is not TCPS (testing only)

Token options:
  aws:       --region <region> (else from an RDS endpoint, AWS_REGION, AWS_DEFAULT_REGION or the
             AWS profile); credentials from the AWS SDK's default chain
  dsql:      --region <region> (else from the cluster endpoint, AWS_REGION, AWS_DEFAULT_REGION or the
             AWS profile), --admin to log in as the admin role instead of --user; --host is the
             cluster endpoint the token is signed for; credentials from the AWS SDK's default chain
  oci:       --scope <urn> --region <region> --auth <method> --profile <name> --config-file <file>
             --endpoint <url>   (as for "dbtoken token oci")
  heatwave:  --profile <name> --config-file <file>   (the OCI config profile that signs the login)
  azure:     credentials from DefaultAzureCredential (as for "dbtoken token azure")
  gcp:       --key-file <file> (else application default credentials), and --instance
             <project:region:instance> (pg): Cloud SQL's certificate names the instance, not the
             address dialed, so with --instance it must name that instance instead of --host

${COMMON}`;

export const SQL_HELP = `Usage: dbtoken sql <oracle|rds-postgres|rds-mysql|heatwave> [options]
       dbtoken sql dsql [options]
       dbtoken sql <azure-postgres|azure-mysql|cloud-sql> [options]

Prints the statements that map IAM identities to database users, one per
line, ready to pipe into sqlplus, psql or mysql. Run them as the admin user.

  sql oracle          Oracle ADB / DBaaS: CREATE USER or ROLE ... IDENTIFIED GLOBALLY AS 'IAM_...'
  sql rds-postgres    RDS / Aurora PostgreSQL: CREATE USER and GRANT rds_iam
  sql rds-mysql       RDS / Aurora MySQL: IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL
  sql heatwave        MySQL HeatWave: IDENTIFIED WITH authentication_oci, for a user or through a proxy user
  sql dsql            Aurora DSQL: CREATE ROLE ... WITH LOGIN and AWS IAM GRANT <role> TO '<IAM role ARN>'
  sql azure-postgres  Azure Database for PostgreSQL: pgaadauth_create_principal(_with_oid)
  sql azure-mysql     Azure Database for MySQL: CREATE AADUSER
  sql cloud-sql       Cloud SQL: the gcloud sql users create command, then GRANTs

Names are checked and quoted: a name that could break out of its quotes is
refused. Run "dbtoken sql <database> --help" for the options.`;

const SQL_COMMON = `Common options:
  --json     print {"statements": [...]}
  --help     print this help

Exit codes: 0 success, 2 bad arguments.`;

export const SQL_ORACLE_HELP = `Usage: dbtoken sql oracle (--user <name> | --role <name>)
                         (--iam-group <group> | --iam-principal <name> | --iam-principal-ocid <ocid>)
                         [--domain <domain>] [--tenancy <ocid>] [--privilege <priv>]... [--grant-role <role>]...

Prints CREATE USER (or CREATE ROLE) ... IDENTIFIED GLOBALLY for an Oracle
Autonomous Database or an OCI DBaaS database with IAM logins enabled, and
its grants (a user always gets CREATE SESSION).

Options:
  --user <name>                the database user (schema) to create
  --role <name>                a global role to create instead: members of --iam-group get it at login
  --iam-group <group>          shared mapping: every member of this IAM group logs in as --user
  --iam-principal <name>       exclusive mapping: this one IAM user (or dynamic group member) logs in as --user
  --iam-principal-ocid <ocid>  exclusive mapping by OCID: a user, instance or resource principal
  --domain <domain>            the identity domain of the group or principal (default: Default)
  --tenancy <ocid>             cross-tenancy: the tenancy the group or principal lives in
  --privilege <priv>           a system privilege to grant, such as "CREATE TABLE" (repeatable)
  --grant-role <role>          a role to grant, such as DWROLE (repeatable)

Names Oracle takes unquoted (sales_app) are stored uppercased, as CREATE USER
sales_app would; other names keep their exact case.

Example:
  dbtoken sql oracle --user sales_app --iam-group db_sales_group --domain sales_domain --grant-role DWROLE
  CREATE USER "SALES_APP" IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=sales_domain/db_sales_group';
  GRANT CREATE SESSION TO "SALES_APP";
  GRANT "DWROLE" TO "SALES_APP";

${SQL_COMMON}`;

export const SQL_RDS_POSTGRES_HELP = `Usage: dbtoken sql rds-postgres --user <name> [--grant-role <role>]...

Prints the statements that create an RDS or Aurora PostgreSQL user that logs
in with IAM tokens: CREATE USER and GRANT rds_iam. A user with rds_iam can no
longer log in with a password.

Options:
  --user <name>        the database user to create; tokens are signed for this exact name
  --grant-role <role>  an existing role to grant too, such as pg_read_all_data (repeatable)

Example:
  dbtoken sql rds-postgres --user app | psql "host=... user=postgres sslmode=verify-full"

${SQL_COMMON}`;

export const SQL_RDS_MYSQL_HELP = `Usage: dbtoken sql rds-mysql --user <name> [--host <host>] [--grant "<privileges> ON <db>.<table>"]...

Prints the statements that create an RDS or Aurora MySQL (or RDS MariaDB)
user that logs in with IAM tokens over TLS only:
CREATE USER ... IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL.

Options:
  --user <name>       the database user to create; tokens are signed for this exact name
  --host <host>       the account's host part, 'user'@'host' (default %)
  --grant <grant>     privileges to grant, such as "SELECT, INSERT ON orders.*" (repeatable)

${SQL_COMMON}`;

export const SQL_HEATWAVE_HELP = `Usage: dbtoken sql heatwave --tenancy <ocid> --user <name> --iam-user <ocid> [--grant ...]...
       dbtoken sql heatwave --tenancy <ocid> --map <group ocid>=<proxied user>... [--grant "... TO <proxied user>"]...

Prints the statements that let OCI IAM identities log in to MySQL HeatWave
with the authentication_oci plugin (clients: dbtoken's heatwaveOciToken, or
the mysql client's authentication_oci_client):
  - one IAM user mapped to its own MySQL user (--user, --iam-user);
  - IAM groups mapped to proxied users (--map): the anonymous ''@'%' account
    holds the group_mapping, and GRANT PROXY lets it act as each proxied user.

Options:
  --tenancy <ocid>             the tenancy of the IAM user or groups
  --user <name>                the MySQL user to create for one IAM user
  --iam-user <ocid>            that IAM user's OCID
  --map <group ocid>=<user>    map an IAM group to a proxied MySQL user (repeatable)
  --host <host>                the account's host part (default %)
  --grant <grant>              "SELECT ON orders.*" for --user, or "SELECT ON orders.* TO app_readers"
                               for a proxied user (repeatable)
  --proxied-users-exist        do not create the proxied users (they exist already)

${SQL_COMMON}`;

export const POLICY_HELP = `Usage: dbtoken policy <oci|oci-cross-tenancy|heatwave|aws> [options]
       dbtoken policy dsql [options]
       dbtoken policy gcp [options]

Prints the IAM policies that allow database logins with tokens.

  policy oci                the OCI policy statement: use autonomous-database-family
                            (or database-connections, database-family) in a tenancy or compartment
  policy oci-cross-tenancy  the DEFINE, ENDORSE and ADMIT statements for the users' tenancy and
                            for the database's tenancy
  policy heatwave           the OCI policy statement MySQL HeatWave needs for authentication_oci logins
  policy aws                the AWS IAM policy JSON allowing rds-db:connect on
                            arn:aws:rds-db:REGION:ACCOUNT:dbuser:RESOURCE_ID/USER
  policy dsql               the AWS IAM policy JSON allowing dsql:DbConnect (or dsql:DbConnectAdmin) on
                            arn:aws:dsql:REGION:ACCOUNT:cluster/CLUSTER_ID
  policy gcp                the gcloud command granting roles/cloudsql.instanceUser on a project

Run "dbtoken policy <kind> --help" for the options.`;

export const POLICY_OCI_HELP = `Usage: dbtoken policy oci (--group <name|ocid> | --dynamic-group <name|ocid>) [--domain <domain>]
                         [--resource <resource>] [--compartment <name|path|ocid>] [--database <ocid>]

Prints the OCI IAM policy statement that lets a group of users (or a dynamic
group of instances or functions) get db-tokens for databases.

Options:
  --group <name|ocid>          the IAM group
  --dynamic-group <name|ocid>  or the dynamic group
  --domain <domain>            the identity domain of a group given by name (default: Default)
  --resource <resource>        autonomous-database-family (default), database-connections
                               or database-family
  --compartment <c>            a compartment name, Parent:Child path or OCID (default: the tenancy)
  --database <ocid>            only this database (adds where target.database.id = '...')

Example:
  dbtoken policy oci --group DBUsers --compartment testing_compartment
  Allow group DBUsers to use autonomous-database-family in compartment testing_compartment

${SQL_COMMON}`;

export const POLICY_CROSS_TENANCY_HELP = `Usage: dbtoken policy oci-cross-tenancy --user-tenancy <ocid> --database-tenancy <ocid>
                                       --group <name> --group-ocid <ocid> [options]

Prints the two policies that let a group in one tenancy get db-tokens for a
database in another: Define and Endorse (and an Admit for the databases'
group lookups) in the users' tenancy, Define and Admit (and the matching
Endorse) in the database's tenancy.

Options:
  --user-tenancy <ocid>              the tenancy the IAM group is in
  --database-tenancy <ocid>          the tenancy the database is in
  --group <name>                     the group's name
  --group-ocid <ocid>                the group's OCID
  --domain <domain>                  the group's identity domain (default: Default)
  --resource <resource>              database-connections (default), autonomous-database-family
                                     or database-family
  --compartment <c>                  limit the Admit to a compartment of the database's tenancy
  --database-principal-type <type>   limit the group lookups to one kind of database:
                                     autonomousdatabase, cloudautonomousvmcluster, dbsystem,
                                     cloudvmcluster or vmcluster
  --user-tenancy-alias <name>        the name the database's tenancy uses for the users' (default UserTenancy)
  --database-tenancy-alias <name>    the name the users' tenancy uses for the database's (default DatabaseTenancy)

With --json: {"source": [...], "destination": [...]}.

Exit codes: 0 success, 2 bad arguments.`;

export const POLICY_HEATWAVE_HELP = `Usage: dbtoken policy heatwave

Prints the OCI IAM policy statement that MySQL HeatWave needs before it
accepts authentication_oci logins: it lets HeatWave's authentication service
(mysql_dp_auth) verify IAM users' keys and tokens and read their groups.
Create it once, in the root compartment of the users' tenancy.

${SQL_COMMON}`;

export const POLICY_AWS_HELP = `Usage: dbtoken policy aws --region <region> --account <id> --resource-id <id> --user <name> [--user <name>]...

Prints the AWS IAM policy that allows rds-db:connect as the given database
users. Attach it to the role or user that makes the tokens (a Lambda's role,
an ECS task role).

Options:
  --region <region>      the database's region, such as us-east-2
  --account <id>         the 12-digit account id that owns the database
  --resource-id <id>     db-... (an instance's DbiResourceId), cluster-... (an Aurora cluster's
                         DbClusterResourceId) or prx-... (an RDS Proxy); not the name
  --user <name>          a database user (repeatable)

With --json: the same policy on one line.

Exit codes: 0 success, 2 bad arguments.`;

export const SQL_DSQL_HELP = `Usage: dbtoken sql dsql --role <name> --arn <IAM role or user ARN>

Prints CREATE ROLE ... WITH LOGIN and AWS IAM GRANT for an Aurora DSQL
cluster: the IAM role or user --arn then logs in as --role with DbConnect
tokens (dbtoken token dsql --user <name>), once an IAM policy allows it
dsql:DbConnect on the cluster (dbtoken policy dsql). Run them as admin.
AWS IAM REVOKE <role> FROM '<arn>' undoes the mapping.

Options:
  --role <name>   the database role to create; its case is kept (it is written "quoted"); not admin
  --arn <arn>     the IAM role or user that logs in as it: arn:aws:iam::<account>:role/<name> or
                  arn:aws:iam::<account>:user/<name> (for a Lambda or a task, its role's ARN,
                  not an sts assumed-role one)

Example:
  dbtoken sql dsql --role app --arn arn:aws:iam::111122223333:role/app-service
  CREATE ROLE "app" WITH LOGIN;
  AWS IAM GRANT "app" TO 'arn:aws:iam::111122223333:role/app-service';

${SQL_COMMON}`;

export const POLICY_DSQL_HELP = `Usage: dbtoken policy dsql (--cluster-arn <arn> | --cluster-id <id> --region <region> --account <id>) [--admin]

Prints the AWS IAM policy that allows dsql:DbConnect on one Aurora DSQL
cluster (with --admin, dsql:DbConnectAdmin: the admin role's logins). Attach
it to the role or user that makes the tokens (a Lambda's role, an ECS task
role). A role other than admin also needs AWS IAM GRANT in the database
(dbtoken sql dsql).

Options:
  --cluster-arn <arn>  the cluster's ARN: arn:aws:dsql:<region>:<account>:cluster/<cluster id>
  --cluster-id <id>    or the cluster id, the first label of its endpoint, with:
  --region <region>    the cluster's region, such as us-east-1
  --account <id>       the 12-digit account id that owns the cluster
  --admin              allow dsql:DbConnectAdmin (the admin role) instead of dsql:DbConnect

With --json: the same policy on one line.

Exit codes: 0 success, 2 bad arguments.`;

export const SQL_AZURE_POSTGRES_HELP = `Usage: dbtoken sql azure-postgres --name <role> --kind <user|group|service> [--object-id <guid>] [--admin]

Prints the statement that creates an Azure Database for PostgreSQL role for a
Microsoft Entra principal. Run it as an Entra admin of the server, connected
to the postgres database:
  - a user or group by name: SELECT * FROM pgaadauth_create_principal('<name>', <admin>, false);
  - bound to an object id:   SELECT * FROM pgaadauth_create_principal_with_oid('<name>', '<object id>',
                             '<user|group|service>', <admin>, false);
Tokens of the principal then log in as the role (dbtoken whoami --token azure
--user <role>; an Entra user by name logs in as its UPN, read from the token).

Options:
  --name <role>        the role: a user's UPN (case-sensitive) or a group's display name; with
                       --object-id any name, such as orders-api; at most 63 bytes
  --kind <kind>        user, group, or service (a service principal or managed identity)
  --object-id <guid>   the principal's object id, which the role is bound to (required for service;
                       for a managed identity, its object (principal) id, not its client id)
  --admin              make the role an Entra admin of the server

Example:
  dbtoken sql azure-postgres --name orders-api --kind service --object-id 66666666-7777-4888-8999-aaaaaaaaaaaa
  SELECT * FROM pgaadauth_create_principal_with_oid('orders-api', '66666666-7777-4888-8999-aaaaaaaaaaaa', 'service', false, false);

${SQL_COMMON}`;

export const SQL_AZURE_MYSQL_HELP = `Usage: dbtoken sql azure-mysql --name <name> [--object-id <guid>] [--grant "<privileges> ON <db>.<table or *>"]...

Prints the statements that create an Azure Database for MySQL user for a
Microsoft Entra principal, and grant it privileges. Run them as the server's
Entra admin:
  - a user or group by name: CREATE AADUSER '<name>';
  - a managed identity or service principal: CREATE AADUSER '<name>' IDENTIFIED BY '<client id>';
Tokens of the principal then log in as <name> (dbtoken whoami --token azure --driver mysql2).

Options:
  --name <name>        a user's UPN or a group's name; with --object-id any name, such as orders-api;
                       at most 32 characters (MySQL's limit: give a longer UPN a shorter alias by
                       hand, CREATE AADUSER '<UPN>' AS '<alias>')
  --object-id <guid>   the identity's client id (or object id) the user is bound to
  --grant <grant>      privileges to grant, such as "SELECT, INSERT ON orders.*" (repeatable)

${SQL_COMMON}`;

export const SQL_CLOUD_SQL_HELP = `Usage: dbtoken sql cloud-sql --email <email> --engine <postgres|mysql> --instance <id or project:region:instance>
                           [--kind <user|service_account>] [--grant-role <role>]... [--grant "..."]...

Prints what adds a Google account or service account to a Cloud SQL instance
for IAM database authentication: the gcloud sql users create command (run it
with gcloud), then the GRANT statements to run in the database, for the
database user Cloud SQL makes: on PostgreSQL a service account's email
without .gserviceaccount.com and a person's whole email, on MySQL the part
before the @. A new IAM user holds no privileges of its own. The principal
also needs roles/cloudsql.instanceUser (dbtoken policy gcp), and the instance
the cloudsql.iam_authentication flag.

Options:
  --email <email>        the Google account's or service account's email
  --engine <engine>      postgres or mysql
  --instance <instance>  the instance id, or its connection name project:region:instance (adds --project)
  --kind <kind>          user or service_account; default: from the email (…@….gserviceaccount.com)
  --grant-role <role>    PostgreSQL: a role to grant the user, such as app_readwrite (repeatable)
  --grant <grant>        MySQL: privileges to grant, such as "SELECT, INSERT ON orders.*" (repeatable)

Common options:
  --json     print {"command": ["gcloud", ...], "user": "...", "statements": [...]}
  --help     print this help

Exit codes: 0 success, 2 bad arguments.`;

export const POLICY_GCP_HELP = `Usage: dbtoken policy gcp --project <id> --member <email> [--kind <user|service_account>] [--connector]

Prints the gcloud command that grants a Google account or service account
roles/cloudsql.instanceUser on the project that holds the Cloud SQL
instance: the role Cloud SQL checks at each IAM database login. The principal
is also added to the instance as an IAM user (dbtoken sql cloud-sql).

Options:
  --project <id>     the project id (not its name or number)
  --member <email>   the Google account's or service account's email
  --kind <kind>      user or service_account; default: from the email (…@….gserviceaccount.com)
  --connector        also grant roles/cloudsql.client, which the Cloud SQL Auth Proxy and the
                     Cloud SQL connectors need (a direct connection to the instance's IP does not)

Common options:
  --json     print {"commands": [["gcloud", ...], ...]}
  --help     print this help

Exit codes: 0 success, 2 bad arguments.`;
