import { ConfigError } from '../../core/errors.js';

/**
 * Pure helpers for OCIDs and the scope URNs of OCI IAM db-tokens.
 */

/**
 * The parts of an OCID: `ocid1.<type>.<realm>.[region].<unique id>`.
 *
 * @example
 * ```ts
 * // what parseOcid('ocid1.autonomousdatabase.oc1.iad.aaaaaaaaexample') returns
 * const parsed: ParsedOcid = { type: 'autonomousdatabase', realm: 'oc1', region: 'iad', id: 'aaaaaaaaexample' };
 * ```
 */
export interface ParsedOcid {
  /** The resource type: `tenancy`, `compartment`, `autonomousdatabase`, ... */
  readonly type: string;
  /** The realm: `oc1` (commercial), `oc2`/`oc3` (US government), ... */
  readonly realm: string;
  /** The region key or name; empty for global resources such as tenancies. */
  readonly region: string;
  /** The unique part. */
  readonly id: string;
}

const OCID = /^ocid1\.([a-z][a-z0-9]*)\.(oc[0-9]+)\.([a-z0-9-]*)\.(?:[a-z0-9]+\.)?([a-z0-9]{8,})$/;

/**
 * The parts of an OCID, or `undefined` when `value` is not shaped like one.
 *
 * @example
 * ```ts
 * parseOcid('ocid1.autonomousdatabase.oc1.iad.aaaaaaaaexample'); // { type: 'autonomousdatabase', realm: 'oc1', region: 'iad', id: 'aaaaaaaaexample' }
 * parseOcid('ocid1.tenancy.oc1..aaaaaaaaexample');               // { type: 'tenancy', realm: 'oc1', region: '', id: 'aaaaaaaaexample' }
 * parseOcid('mydb');                                             // undefined
 * ```
 */
export function parseOcid(value: string): ParsedOcid | undefined {
  if (typeof value !== 'string') return undefined;
  const m = OCID.exec(value);
  return m ? { type: m[1]!, realm: m[2]!, region: m[3]!, id: m[4]! } : undefined;
}

/** OCID types a database scope may name. */
const DATABASE_TYPES = ['autonomousdatabase', 'database', 'pluggabledatabase'] as const;

/**
 * `value` in quotes for a message when it is written only in the lower-case
 * characters of OCIDs and scope URNs, which random keys and tokens never are;
 * otherwise only its length, so a secret passed by mistake never reaches a log.
 */
function shown(value: string): string {
  return value.length <= 255 && /^[a-z0-9.:*-]+$/.test(value) ? `"${value}"` : `(a ${value.length}-character string, not shown)`;
}

function requireOcid(field: string, value: unknown, types: readonly string[], what: string): ParsedOcid {
  const example = `ocid1.${types[0]}.oc1..<id>`;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError(field, `is required: the OCID of the ${what}`, `give one such as ${example}`);
  }
  const parsed = parseOcid(value.trim());
  if (parsed === undefined) {
    throw new ConfigError(field, `${shown(value.trim())} is not an OCID`, `it should look like ${example}`);
  }
  if (!types.includes(parsed.type)) {
    throw new ConfigError(field, `is an OCID of a ${parsed.type}, but a ${what} OCID (ocid1.${types.join(' or ocid1.')}...) is needed here`, `give the ${what}'s OCID`);
  }
  return parsed;
}

const PREFIX = 'urn:oracle:db::id::';
const PATH_PREFIX = 'urn:oracle:db::path::';

/** Tenancy (cloud account) names are letters and digits; compartment names may add `.`, `-` and `_`, up to 100. */
const TENANCY_NAME = /^[A-Za-z0-9]{1,100}$/;
const COMPARTMENT_NAME = /^[A-Za-z0-9._-]{1,100}$/;

function requireName(field: string, value: unknown, what: 'tenancy' | 'compartment'): string {
  const example = what === 'tenancy' ? 'acme' : 'sales';
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError(field, `is required: the ${what}'s name`, `give one such as ${example}`);
  }
  const v = value.trim();
  // An OCID here is the likeliest slip: path scopes name by name, id scopes by OCID.
  if (parseOcid(v) !== undefined) {
    throw new ConfigError(field, `${shown(v)} is an OCID, but a path scope names the ${what} by its name`, `give the ${what}'s name, or name it by OCID in a urn:oracle:db::id:: scope`);
  }
  if (!(what === 'tenancy' ? TENANCY_NAME : COMPARTMENT_NAME).test(v)) {
    const rule = what === 'tenancy' ? 'letters and digits' : 'letters, digits, ".", "-" and "_"';
    throw new ConfigError(field, `${shown(v)} is not a ${what} name (up to 100 ${rule})`, `give the ${what}'s name as the OCI console shows it, such as ${example}`);
  }
  return v;
}

/**
 * A compartment path, `<name>` or `<parent>:<child>…` (compartment names are unique only within their
 * parent), checked name by name.
 */
function requireCompartmentPath(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') return requireName(field, value, 'compartment');
  const names = value.trim().split(':');
  if (names.some((n) => n === '')) {
    throw new ConfigError(field, 'has an empty name in its compartment path', 'write one compartment name, or nested ones as <parent>:<child>');
  }
  return names.map((n) => requireName(field, n, 'compartment')).join(':');
}

/**
 * What `path()` of {@link ociScope} builds a path scope from: the tenancy's name, optionally a compartment's
 * name (or the path of a nested one), and optionally a database's OCID.
 *
 * @example
 * ```ts
 * const parts: PathScopeParts = { tenancy: 'acme', compartment: 'sales', database: 'ocid1.autonomousdatabase.oc1.iad.aaaaaaaaexample' };
 * ociScope.path(parts); // 'urn:oracle:db::path::acme:sales::ocid1.autonomousdatabase.oc1.iad.aaaaaaaaexample'
 * ```
 */
export interface PathScopeParts {
  /** The tenancy's name (its cloud account name, as you sign in with), not its OCID. */
  readonly tenancy: string;
  /**
   * A compartment's name; a nested compartment as the path of names below the root, `<parent>:<child>`.
   * Leave it out for every database in the tenancy, or for a database in the root compartment.
   */
  readonly compartment?: string | undefined;
  /** One database's OCID (Autonomous Database, or a DBaaS database or PDB). */
  readonly database?: string | undefined;
}

/**
 * Builders for the `scope` of {@link ociDbToken}. Each checks its OCIDs
 * (type, shape, and that a compartment and database are in the same realm)
 * and names, and throws a {@link ConfigError} that says what is wrong.
 *
 * For cross-tenancy access, pass the OCIDs of the database's tenancy.
 *
 * @example
 * ```ts
 * ociScope.all();                                   // 'urn:oracle:db::id::*' (your own tenancy)
 * ociScope.tenancy('ocid1.tenancy.oc1..aaaaaaaaexample');      // every database in that tenancy
 * ociScope.compartment('ocid1.compartment.oc1..aaaaaaaaexample');
 * ociScope.database('ocid1.compartment.oc1..aaaaaaaaexample', 'ocid1.autonomousdatabase.oc1.iad.aaaaaaaaexample');
 * ociScope.path({ tenancy: 'acme', compartment: 'sales' }); // 'urn:oracle:db::path::acme:sales', by name
 * ```
 */
export const ociScope = Object.freeze({
  /** Every database in the caller's own tenancy: `urn:oracle:db::id::*`. */
  all(): string {
    return `${PREFIX}*`;
  },
  /** Every database in a tenancy (another tenancy for cross-tenancy access). */
  tenancy(tenancyOcid: string): string {
    requireOcid('scope.tenancy', tenancyOcid, ['tenancy'], 'tenancy');
    return `${PREFIX}${tenancyOcid.trim()}`;
  },
  /** Every database in a compartment. The root compartment's OCID is the tenancy's. */
  compartment(compartmentOcid: string): string {
    requireOcid('scope.compartment', compartmentOcid, ['compartment', 'tenancy'], 'compartment');
    return `${PREFIX}${compartmentOcid.trim()}`;
  },
  /** One database (Autonomous Database, or a DBaaS database or PDB) in its compartment. */
  database(compartmentOcid: string, databaseOcid: string): string {
    const c = requireOcid('scope.compartment', compartmentOcid, ['compartment', 'tenancy'], 'compartment');
    const d = requireOcid('scope.database', databaseOcid, DATABASE_TYPES, 'database');
    if (c.realm !== d.realm) {
      throw new ConfigError('scope.database', `is in realm ${d.realm} but the compartment is in realm ${c.realm}`, "a database scope names the database's own compartment: give that");
    }
    return `${PREFIX}${compartmentOcid.trim()}::${databaseOcid.trim()}`;
  },
  /**
   * A path scope, `urn:oracle:db::path::<tenancy>[:<compartment>][::<database OCID>]`, as
   * `oci iam db-token get` documents it: the tenancy and compartment by name, the database by OCID.
   * Without `database`, every database in the tenancy or compartment.
   */
  path(parts: PathScopeParts): string {
    if (typeof parts !== 'object' || parts === null) {
      throw new ConfigError('scope', 'is not { tenancy, compartment?, database? }', "give the tenancy's name at least: ociScope.path({ tenancy: 'acme' })");
    }
    const { tenancy, compartment, database } = parts;
    let urn = PATH_PREFIX + requireName('scope.tenancy', tenancy, 'tenancy');
    if (compartment !== undefined) {
      if (typeof compartment === 'string' && compartment.trim() === '') {
        throw new ConfigError('scope.compartment', 'is empty', 'give the compartment\'s name, or leave the compartment out for every database in the tenancy');
      }
      urn += `:${requireCompartmentPath('scope.compartment', compartment)}`;
    }
    if (database !== undefined) {
      requireOcid('scope.database', database, DATABASE_TYPES, 'database');
      urn += `::${database.trim()}`;
    }
    return urn;
  },
});

/**
 * What a scope URN names: {@link AllScope}, {@link ContainerScope} or {@link DatabaseScope} for
 * `urn:oracle:db::id::` scopes, {@link PathScope} for `urn:oracle:db::path::` ones.
 *
 * @example
 * ```ts
 * const s: ParsedScope = parseOciScope(process.env.DB_TOKEN_SCOPE);
 * if (s.kind === 'database') console.log('one database:', s.database);
 * else if (s.kind === 'path') console.log('by name:', s.tenancy, s.compartment ?? '(whole tenancy)');
 * else if (s.kind !== 'all') console.log(`every database in the ${s.kind}`, s.ocid);
 * ```
 */
export type ParsedScope = AllScope | ContainerScope | DatabaseScope | PathScope;

/**
 * A path scope, `urn:oracle:db::path::<tenancy>[:<compartment>][::<database OCID>]`: its parts, as
 * `path()` of {@link ociScope} takes them (so `ociScope.path(parsed)` writes the same URN back).
 *
 * @example
 * ```ts
 * parseOciScope('urn:oracle:db::path::acme:sales'); // { kind: 'path', tenancy: 'acme', compartment: 'sales' }
 * const scope: PathScope = { kind: 'path', tenancy: 'acme', database: 'ocid1.autonomousdatabase.oc1.iad.aaaaaaaaexample' };
 * ```
 */
export interface PathScope extends PathScopeParts {
  /** Always `path`. */
  readonly kind: 'path';
}

/**
 * `urn:oracle:db::id::*`: every database in the caller's tenancy.
 *
 * @example
 * ```ts
 * const all: AllScope = { kind: 'all' };
 * parseOciScope(ociScope.all()); // { kind: 'all' }
 * ```
 */
export interface AllScope {
  /** Always `all`. */
  readonly kind: 'all';
}

/**
 * Every database in a tenancy or compartment.
 *
 * @example
 * ```ts
 * const scope: ContainerScope = { kind: 'compartment', ocid: 'ocid1.compartment.oc1..aaaaaaaaexample' };
 * // what parseOciScope(ociScope.compartment('ocid1.compartment.oc1..aaaaaaaaexample')) returns
 * ```
 */
export interface ContainerScope {
  /** Which kind of OCID the scope names. */
  readonly kind: 'tenancy' | 'compartment';
  /** The tenancy or compartment OCID. */
  readonly ocid: string;
}

/**
 * One database in its compartment.
 *
 * @example
 * ```ts
 * const scope: DatabaseScope = {
 *   kind: 'database',
 *   compartment: 'ocid1.compartment.oc1..aaaaaaaaexample',
 *   database: 'ocid1.autonomousdatabase.oc1.iad.aaaaaaaaexample',
 * };
 * ```
 */
export interface DatabaseScope {
  /** Always `database`. */
  readonly kind: 'database';
  /** The compartment OCID. */
  readonly compartment: string;
  /** The database OCID. */
  readonly database: string;
}

/**
 * Checks a scope URN (`urn:oracle:db::id::*`, `...::<tenancy or compartment>`,
 * `...::<compartment>::<database>`, or a path scope
 * `urn:oracle:db::path::<tenancy name>[:<compartment name>][::<database>]`) and
 * says what it names. Throws a {@link ConfigError} (`field` = `scope`, or the
 * part at fault: `scope.tenancy`, `scope.compartment`, `scope.database`)
 * explaining a malformed URN, OCID or name.
 *
 * @example
 * ```ts
 * parseOciScope('urn:oracle:db::id::*'); // { kind: 'all' }
 * parseOciScope('urn:oracle:db::id::ocid1.compartment.oc1..aaaaaaaaexample'); // { kind: 'compartment', ocid: 'ocid1.compartment.oc1..aaaaaaaaexample' }
 * parseOciScope('urn:oracle:db::path::acme:sales'); // { kind: 'path', tenancy: 'acme', compartment: 'sales' }
 * parseOciScope('urn:oracle:db::id::mydb'); // throws ConfigError (field 'scope'): not an OCID
 * ```
 */
export function parseOciScope(scope: unknown): ParsedScope {
  const build = 'build it with ociScope.tenancy(), .compartment(), .database(), .path() or .all()';
  if (typeof scope !== 'string' || scope.trim() === '') {
    throw new ConfigError('scope', 'is required: a URN such as urn:oracle:db::id::*', build);
  }
  const s = scope.trim();
  if (!s.startsWith(PREFIX) && !s.startsWith(PATH_PREFIX)) {
    throw new ConfigError('scope', `${shown(s)} does not start with ${PREFIX} or ${PATH_PREFIX}`, build);
  }
  // IAM gets the scope as written: white space inside would pass the checks below (they trim) but not IAM's.
  if (/\s/.test(s)) {
    throw new ConfigError('scope', 'has white space inside', 'remove it: a scope URN is written without spaces');
  }
  if (s.startsWith(PATH_PREFIX)) return parsePathScope(s.slice(PATH_PREFIX.length));
  const rest = s.slice(PREFIX.length);
  if (rest === '*') return { kind: 'all' };
  const parts = rest.split('::');
  if (parts.length === 1) {
    const p = requireOcid('scope', parts[0], ['tenancy', 'compartment'], 'tenancy or compartment');
    return { kind: p.type === 'tenancy' ? 'tenancy' : 'compartment', ocid: parts[0]! };
  }
  if (parts.length === 2) {
    ociScope.database(parts[0]!, parts[1]!);
    return { kind: 'database', compartment: parts[0]!, database: parts[1]! };
  }
  throw new ConfigError('scope', `has ${parts.length} parts after ${PREFIX}`, 'give at most two: <compartment OCID>::<database OCID>');
}

/** `<tenancy>[:<compartment>…][::<database>]`, after `urn:oracle:db::path::`. */
function parsePathScope(rest: string): PathScope {
  const parts = rest.split('::');
  if (parts.length > 2) {
    throw new ConfigError('scope', `has ${parts.length} parts after ${PATH_PREFIX}`, 'give at most two: <tenancy>[:<compartment>]::<database OCID>');
  }
  const [place, database] = parts as [string, string | undefined];
  const at = place.indexOf(':');
  const tenancy = at === -1 ? place : place.slice(0, at);
  const compartment = at === -1 ? undefined : place.slice(at + 1);
  const named: PathScopeParts = { tenancy, ...(compartment !== undefined ? { compartment } : {}), ...(database !== undefined ? { database } : {}) };
  ociScope.path(named); // checks each part as the builder does
  return { kind: 'path', ...named };
}
