/**
 * Internal: the Oracle Database emulator's dictionary of users and roles, as `admin()` statements build
 * it, and the mapping of an OCI IAM principal to the global user it logs in as. Pure: no I/O. Not
 * exported from `dbtoken/testing`.
 *
 * @internal
 * @module
 */
import { OraError, type AdminStatement, type IamMapping } from './sql.js';

/** What the database knows of the principal behind a token: from the token and the IAM directory. @internal */
export interface IamPrincipal {
  ocid: string;
  tenancy: string;
  /** The user name; undefined for instance and resource principals. */
  name?: string | undefined;
  /** The identity domain of a user; undefined for the Default domain. */
  domain?: string | undefined;
  /** Groups (users) or dynamic groups (instance and resource principals), each in its identity domain. */
  groups: readonly { name: string; domain?: string }[];
}

/** Who a principal logs in as. @internal */
export interface Resolution {
  user: string;
  mapping: IamMapping;
  /** An exclusive mapping (`IAM_PRINCIPAL_*`) rather than a shared one (`IAM_GROUP_NAME`). */
  exclusive: boolean;
  /** The global roles the principal's groups bring. */
  globalRoles: string[];
  /** Whether CREATE SESSION reaches the user directly or through a role. */
  canCreateSession: boolean;
}

interface Account {
  name: string;
  kind: 'user' | 'role';
  mapping?: IamMapping | undefined;
  privileges: Set<string>;
  roles: Set<string>;
}

const DEFAULT_DOMAIN = 'DEFAULT';

/*
 * What every Autonomous Database has: the ADMIN user (a password user, so no token maps to it) and the
 * predefined roles that IAM guides grant. CONNECT and DWROLE include CREATE SESSION.
 */
function predefined(): Account[] {
  const role = (name: string, privileges: string[]): Account => ({ name, kind: 'role', privileges: new Set(privileges), roles: new Set() });
  return [
    { name: 'ADMIN', kind: 'user', privileges: new Set(['CREATE SESSION']), roles: new Set() },
    role('CONNECT', ['CREATE SESSION', 'SET CONTAINER']),
    role('RESOURCE', ['CREATE TABLE', 'CREATE SEQUENCE', 'CREATE PROCEDURE', 'CREATE TRIGGER', 'CREATE TYPE']),
    role('DWROLE', ['CREATE SESSION', 'CREATE TABLE', 'CREATE VIEW', 'CREATE SEQUENCE', 'CREATE PROCEDURE', 'CREATE SYNONYM', 'CREATE TYPE']),
  ];
}

const same = (a: string | undefined, b: string | undefined): boolean => (a ?? '').toUpperCase() === (b ?? '').toUpperCase();
const domainOf = (d: string | undefined): string => (d === undefined ? DEFAULT_DOMAIN : d.toUpperCase());

/**
 * Users, roles and grants. `databaseTenancy` is what a mapping without a `<tenancy ocid>:` prefix means.
 *
 * @internal
 */
export class Catalog {
  private readonly accounts = new Map<string, Account>();

  constructor(private readonly databaseTenancy: string) {
    for (const a of predefined()) this.accounts.set(a.name, a);
  }

  /** Applies one provisioning statement; throws {@link OraError} as Oracle would. */
  apply(s: AdminStatement): void {
    switch (s.kind) {
      case 'create-user':
        if (this.accounts.has(s.user)) throw new OraError(1920, `user name '${s.user}' conflicts with another user or role name`);
        this.accounts.set(s.user, { name: s.user, kind: 'user', mapping: s.mapping, privileges: new Set(), roles: new Set() });
        return;
      case 'create-role':
        if (this.accounts.has(s.role)) throw new OraError(1921, `role name '${s.role}' conflicts with another user or role name`);
        this.accounts.set(s.role, { name: s.role, kind: 'role', ...(s.mapping ? { mapping: s.mapping } : {}), privileges: new Set(), roles: new Set() });
        return;
      case 'grant':
      case 'revoke': {
        const targets = s.grantees.map((g) => {
          const a = this.accounts.get(g);
          if (!a) throw new OraError(1917, `user or role '${g}' does not exist`);
          return a;
        });
        for (const item of s.items) {
          const role = this.accounts.get(item);
          const isRole = role?.kind === 'role';
          // A single word that names no role is a role that does not exist, not a privilege.
          if (!isRole && !item.includes(' ') && !SINGLE_WORD_PRIVILEGES.has(item)) throw new OraError(1919, `role '${item}' does not exist`);
          for (const t of targets) {
            if (isRole && s.kind === 'grant' && (item === t.name || this.reaches(item, t.name))) throw new OraError(1934, 'circular role grant detected');
            const set = isRole ? t.roles : t.privileges;
            if (s.kind === 'grant') set.add(item);
            else if (!set.delete(item)) throw isRole ? new OraError(1951, `ROLE '${item}' not granted to '${t.name}'`) : new OraError(1952, 'system privileges not granted to ' + `'${t.name}'`);
          }
        }
        return;
      }
      case 'drop-user': {
        if (this.accounts.get(s.user)?.kind !== 'user') throw new OraError(1918, `user '${s.user}' does not exist`);
        this.accounts.delete(s.user);
        return;
      }
      case 'drop-role': {
        if (this.accounts.get(s.role)?.kind !== 'role') throw new OraError(1919, `role '${s.role}' does not exist`);
        this.accounts.delete(s.role);
        for (const a of this.accounts.values()) a.roles.delete(s.role);
        return;
      }
    }
  }

  /** Whether `to` is among the roles granted to `from`, directly or through other roles. */
  private reaches(from: string, to: string, seen = new Set<string>()): boolean {
    const a = this.accounts.get(from);
    if (!a || seen.has(from)) return false;
    seen.add(from);
    for (const r of a.roles) if (r === to || this.reaches(r, to, seen)) return true;
    return false;
  }

  /** Whether `mapping` names `p`. Names compare in any letter case; the Default domain may go unnamed. */
  private covers(mapping: IamMapping, p: IamPrincipal): boolean {
    if (mapping.kind === 'principal-ocid') return mapping.ocid === p.ocid;
    if (mapping.tenancy !== undefined ? mapping.tenancy !== p.tenancy : this.databaseTenancy !== p.tenancy) return false;
    if (mapping.kind === 'principal-name') return p.name !== undefined && same(mapping.name, p.name) && domainOf(mapping.domain) === domainOf(p.domain);
    return p.groups.some((g) => same(g.name, mapping.name) && domainOf(g.domain) === domainOf(mapping.domain));
  }

  /**
   * The global user `p` logs in as, or `undefined`. As Oracle does, an exclusive mapping (by principal
   * name or OCID) wins over a shared one (by group); among several of a kind, the first created wins.
   */
  resolve(p: IamPrincipal): Resolution | undefined {
    const users = [...this.accounts.values()].filter((a) => a.kind === 'user' && a.mapping !== undefined && this.covers(a.mapping, p));
    const user = users.find((u) => u.mapping!.kind !== 'group') ?? users[0];
    if (!user) return undefined;
    const globalRoles = [...this.accounts.values()].filter((a) => a.kind === 'role' && a.mapping !== undefined && this.covers(a.mapping, p)).map((a) => a.name);
    const privileges = this.privileges([user.name, ...globalRoles]);
    return { user: user.name, mapping: user.mapping!, exclusive: user.mapping!.kind !== 'group', globalRoles, canCreateSession: privileges.has('CREATE SESSION') };
  }

  /** Every system privilege of these accounts, through the roles granted to them. */
  private privileges(names: string[]): Set<string> {
    const out = new Set<string>();
    const seen = new Set<string>();
    const walk = (name: string): void => {
      const a = this.accounts.get(name);
      if (!a || seen.has(name)) return;
      seen.add(name);
      for (const p of a.privileges) out.add(p);
      for (const r of a.roles) walk(r);
    };
    names.forEach(walk);
    return out;
  }
}

/** System privileges whose name is one word (most have two or more, such as CREATE SESSION). */
const SINGLE_WORD_PRIVILEGES = new Set(['AUDIT', 'BECOME', 'ANALYZE']);
