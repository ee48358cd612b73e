import fc from 'fast-check';
import { expect } from 'vitest';
import { dsqlConnectPolicy, dsqlRole } from 'dbtoken/provision';
import { anyValue, nearly } from '../hostile.js';
import { options, type BuilderSpec } from './harness.js';

/** Property specs of the Aurora DSQL builders (see harness.ts). */

const PG_IDENT = /"(?:[^"]|"")*"/g;
const roleName = fc.oneof(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_$#]{0,15}$/), fc.stringMatching(/^[A-Za-z0-9_%$#@".-]{1,20}$/), fc.string({ minLength: 1, maxLength: 12 }));
const iamArn = fc
  .tuple(fc.constantFrom('aws', 'aws-cn', 'aws-us-gov'), fc.stringMatching(/^\d{12}$/), fc.constantFrom('role', 'user'), fc.constantFrom('', 'service/', 'a/b/'), fc.stringMatching(/^[A-Za-z0-9_+=,.@-]{1,64}$/))
  .map(([partition, account, kind, path, n]) => `arn:${partition}:iam::${account}:${kind}/${path}${n}`);
const region = fc.constantFrom('us-east-1', 'eu-west-1', 'cn-north-1', 'us-gov-west-1', 'eu-isoe-west-1');
const clusterId = fc.stringMatching(/^[a-z0-9]{26}$/);
const account = fc.oneof(fc.stringMatching(/^\d{12}$/), fc.constant(111122223333));

export const DSQL_BUILDERS: BuilderSpec[] = [
  {
    name: 'dsqlRole',
    build: (o) => dsqlRole(o as never),
    options: options({ role: nearly(roleName), arn: nearly(iamArn) }),
    fields: /^(options|role|arn)$/,
    check: (out: string[], o) => {
      const ident = `"${String(o.role).replaceAll('"', '""')}"`;
      expect(out).toEqual([`CREATE ROLE ${ident} WITH LOGIN;`, `AWS IAM GRANT ${ident} TO '${o.arn}';`]);
      // With the role cut out, one statement of keywords; the ARN holds no quote, backslash or white space.
      expect(out[1]!.replace(PG_IDENT, '<>')).toMatch(/^AWS IAM GRANT <> TO 'arn:aws(-[a-z]+)*:iam::\d{12}:(role|user)\/[A-Za-z0-9_+=,.@/-]+';$/);
      expect(o.role).not.toMatch(/[\s\0]/);
      expect(o.role).not.toBe('admin');
    },
    valid: { role: 'app', arn: 'arn:aws:iam::111122223333:role/app' },
    texts: ['role', 'arn'],
  },
  {
    name: 'dsqlConnectPolicy',
    build: (o) => dsqlConnectPolicy(o as never),
    options: fc.oneof(
      options({ clusterId: nearly(clusterId), region: nearly(region), account: nearly(account), admin: fc.oneof(fc.boolean(), anyValue) }),
      options({ clusterArn: nearly(fc.tuple(region, clusterId).map(([r, id]) => `arn:${r.startsWith('cn-') ? 'aws-cn' : r.startsWith('us-gov-') ? 'aws-us-gov' : 'aws'}:dsql:${r}:111122223333:cluster/${id}`)), region: fc.constantFrom(undefined, 'us-east-1'), admin: fc.boolean() }),
    ),
    fields: /^(options|clusterArn|clusterId|region|account|admin)$/,
    check: (out, o) => {
      expect(out.Version).toBe('2012-10-17');
      expect(out.Statement).toHaveLength(1);
      const [st] = out.Statement;
      expect(st.Effect).toBe('Allow');
      expect(st.Action).toEqual([o.admin === true ? 'dsql:DbConnectAdmin' : 'dsql:DbConnect']);
      // One cluster, by its exact ARN: no wildcard, no policy variable.
      expect(st.Resource).toHaveLength(1);
      expect(st.Resource[0]).toMatch(/^arn:aws(-[a-z-]+)?:dsql:[a-z0-9-]+:\d{12}:cluster\/[a-z0-9]+$/);
      if (o.clusterArn !== undefined) expect(st.Resource[0]).toBe(o.clusterArn);
      else expect(st.Resource[0]).toMatch(new RegExp(`:dsql:${o.region}:${o.account}:cluster/${o.clusterId}$`));
    },
    valid: { clusterId: 'abcdefghijklmnopqrstuvwxyz', region: 'us-east-1', account: '111122223333' },
    texts: ['clusterId', 'region', 'account'],
  },
];
