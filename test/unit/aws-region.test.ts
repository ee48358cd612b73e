import { describe, expect, it, vi } from 'vitest';
import { ConfigError } from 'dbtoken';
import { awsPartition, DSQL_ENDPOINT, awsSharedFiles, pickRdsRegion, rdsRegionFromHostname, resolveRdsRegion } from '../../src/sources/aws/region.js';

describe('rdsRegionFromHostname', () => {
  it.each([
    ['mydb.c9akciq32.us-east-1.rds.amazonaws.com', 'us-east-1'],
    ['mycluster.cluster-c9akciq32.eu-west-3.rds.amazonaws.com', 'eu-west-3'],
    ['mycluster.cluster-ro-c9akciq32.ap-southeast-2.rds.amazonaws.com', 'ap-southeast-2'],
    ['myendpoint.cluster-custom-c9akciq32.ca-central-1.rds.amazonaws.com', 'ca-central-1'],
    ['myproxy.proxy-c9akciq32.us-west-2.rds.amazonaws.com', 'us-west-2'],
    ['myproxy-ro.endpoint.proxy-c9akciq32.us-west-2.rds.amazonaws.com', 'us-west-2'],
    ['MyDB.C9AKCIQ32.US-EAST-2.RDS.AMAZONAWS.COM', 'us-east-2'],
    ['mydb.c9akciq32.cn-north-1.rds.amazonaws.com.cn', 'cn-north-1'],
    ['mydb.c9akciq32.us-gov-west-1.rds.amazonaws.com', 'us-gov-west-1'],
    ['mydb.c9akciq32.us-iso-east-1.rds.c2s.ic.gov', 'us-iso-east-1'],
    ['mydb.c9akciq32.il-central-1.rds.amazonaws.com.', 'il-central-1'],
    ['localhost', undefined],
    ['127.0.0.1', undefined],
    ['db.internal.example.com', undefined],
    ['rds.amazonaws.com', undefined],
    ['mydb.us-east-1.rds.amazonaws.com.evil.com', undefined],
    ['mydb.c9akciq32.notaregion.rds.amazonaws.com', undefined],
  ])('%s -> %s', (host, region) => {
    expect(rdsRegionFromHostname(host)).toBe(region);
  });
});

describe('pickRdsRegion: the order of the sources', () => {
  const rds = 'mydb.c9akciq32.eu-west-3.rds.amazonaws.com';
  const ip = '127.0.0.1';
  const both = { AWS_REGION: 'us-east-2', AWS_DEFAULT_REGION: 'us-west-2' };
  it.each([
    ['the option over everything', 'ap-south-1', rds, both, { region: 'ap-south-1', from: 'region' }],
    ['an RDS endpoint over the variables', undefined, rds, both, { region: 'eu-west-3', from: 'hostname' }],
    ['AWS_REGION over AWS_DEFAULT_REGION', undefined, ip, both, { region: 'us-east-2', from: 'AWS_REGION' }],
    ['AWS_REGION for a CNAME', undefined, 'db.internal.example.com', { AWS_REGION: 'us-east-2' }, { region: 'us-east-2', from: 'AWS_REGION' }],
    ['AWS_DEFAULT_REGION when AWS_REGION is unset', undefined, ip, { AWS_DEFAULT_REGION: 'us-west-2' }, { region: 'us-west-2', from: 'AWS_DEFAULT_REGION' }],
    ['AWS_DEFAULT_REGION when AWS_REGION is empty', undefined, ip, { AWS_REGION: '', AWS_DEFAULT_REGION: 'us-west-2' }, { region: 'us-west-2', from: 'AWS_DEFAULT_REGION' }],
    ['a variable with spaces around it', undefined, ip, { AWS_REGION: ' us-east-2\n' }, { region: 'us-east-2', from: 'AWS_REGION' }],
    ['the default profile when nothing else gives it', undefined, ip, {}, { region: undefined, from: 'profile', profile: 'default' }],
    ['AWS_PROFILE names the profile', undefined, 'localhost', { AWS_PROFILE: 'prod' }, { region: undefined, from: 'profile', profile: 'prod' }],
    ['an empty AWS_PROFILE is the default one', undefined, ip, { AWS_PROFILE: '', AWS_REGION: '   ' }, { region: undefined, from: 'profile', profile: 'default' }],
    ['the option even when a variable is malformed', 'us-east-1', ip, { AWS_REGION: 'moon' }, { region: 'us-east-1', from: 'region' }],
    ['an RDS endpoint even when a variable is malformed', undefined, rds, { AWS_REGION: 'moon' }, { region: 'eu-west-3', from: 'hostname' }],
  ] as const)('%s', (_name, region, hostname, env, out) => {
    expect(pickRdsRegion(region, hostname, env)).toEqual(out);
  });

  it.each([
    ['a malformed option', 'moon-1', {}, 'region: "moon-1" is not an AWS region name'],
    ['a malformed AWS_REGION', undefined, { AWS_REGION: 'moon', AWS_DEFAULT_REGION: 'us-west-2' }, 'region: AWS_REGION is set to "moon", which is not an AWS region name; set AWS_REGION to a region such as us-east-1, or pass region'],
    ['a malformed AWS_DEFAULT_REGION', undefined, { AWS_DEFAULT_REGION: 'US-WEST-2' }, 'region: AWS_DEFAULT_REGION is set to (a 9-character string, not shown), which is not an AWS region name'],
  ])('refuses %s', (_name, region, env, message) => {
    expect(() => pickRdsRegion(region, '127.0.0.1', env)).toThrow(message);
  });
});

describe('awsSharedFiles: where the AWS SDK reads profiles', () => {
  const os = () => '/home/os';
  it.each([
    ['the home folder', { HOME: '/home/u' }, { config: '/home/u/.aws/config', credentials: '/home/u/.aws/credentials' }],
    ['AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE', { HOME: '/home/u', AWS_CONFIG_FILE: '/etc/aws/config', AWS_SHARED_CREDENTIALS_FILE: '/etc/aws/creds' }, { config: '/etc/aws/config', credentials: '/etc/aws/creds' }],
    ['a leading ~/ expanded', { HOME: '/home/u', AWS_CONFIG_FILE: '~/cfg/aws' }, { config: '/home/u/cfg/aws', credentials: '/home/u/.aws/credentials' }],
    ['USERPROFILE without HOME', { USERPROFILE: '/users/u' }, { config: '/users/u/.aws/config', credentials: '/users/u/.aws/credentials' }],
    ["the OS's home folder without any", {}, { config: '/home/os/.aws/config', credentials: '/home/os/.aws/credentials' }],
    ['empty variables as unset', { HOME: '', AWS_CONFIG_FILE: '' }, { config: '/home/os/.aws/config', credentials: '/home/os/.aws/credentials' }],
  ])('%s', (_name, env, files) => {
    expect(awsSharedFiles(env, os)).toEqual(files);
  });
});

describe('resolveRdsRegion: a region only the profile could give, and no file to read it from', () => {
  const env = { HOME: '/home/u', AWS_PROFILE: 'prod' };
  it('is a ConfigError on region now, naming every source and the files', () => {
    let err: unknown;
    try {
      resolveRdsRegion(undefined, '127.0.0.1', env, () => false);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe('region');
    expect((err as Error).message).toBe(
      'region: cannot be inferred from hostname "127.0.0.1" (not an RDS endpoint), AWS_REGION, AWS_DEFAULT_REGION or the region of AWS profile "prod" ' +
        "(no AWS config file at /home/u/.aws/config or /home/u/.aws/credentials); pass region, for example region: 'us-east-1', or set AWS_REGION",
    );
  });

  it.each([['/home/u/.aws/config'], ['/home/u/.aws/credentials']])('is left to the first getToken() when %s exists', (file) => {
    expect(resolveRdsRegion(undefined, '127.0.0.1', env, (p) => p === file)).toEqual({
      region: undefined,
      from: 'profile',
      profile: 'prod',
      files: { config: '/home/u/.aws/config', credentials: '/home/u/.aws/credentials' },
    });
  });

  it('reads no file when an earlier source gives the region', () => {
    const exists = vi.fn(() => false);
    expect(resolveRdsRegion(undefined, '127.0.0.1', { AWS_DEFAULT_REGION: 'us-west-2' }, exists)).toEqual({ region: 'us-west-2', from: 'AWS_DEFAULT_REGION' });
    expect(exists).not.toHaveBeenCalled();
  });
});

describe('awsPartition', () => {
  it.each([
    ['us-east-1', 'aws'],
    ['eu-west-3', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['cn-northwest-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
    ['us-iso-east-1', 'aws-iso'],
    ['us-isob-east-1', 'aws-iso-b'],
    ['us-isof-south-1', 'aws-iso-f'],
    ['eu-isoe-west-1', 'aws-iso-e'],
    // A commercial region whose name merely contains a partition's prefix further in.
    ['ap-southeast-5', 'aws'],
  ])('%s is in %s', (region, partition) => {
    expect(awsPartition(region)).toBe(partition);
  });
});

describe('pickRdsRegion: an endpoint kind that names its region refuses a region option that contradicts it', () => {
  const cluster = 'abcdefghijklmnopqrstuvwxyz.dsql.eu-west-1.on.aws';
  it.each([
    ['DSQL, another region', 'us-east-1', cluster, /^region: is "us-east-1", but a DSQL cluster endpoint is in eu-west-1: DSQL would refuse every token; leave region out .* or pass 'eu-west-1'$/],
    ['DSQL, a secret pasted as the region: its format is refused first, and it is not shown', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCY', cluster, /^region: \(a 30-character string, not shown\) is not an AWS region name/],
  ])('%s', (_name, region, hostname, message) => {
    expect(() => pickRdsRegion(region, hostname, {}, DSQL_ENDPOINT)).toThrow(message);
  });

  it('DSQL, the same region, and RDS, whose option still comes first, are accepted', () => {
    expect(pickRdsRegion('eu-west-1', cluster, {}, DSQL_ENDPOINT)).toEqual({ region: 'eu-west-1', from: 'region' });
    expect(pickRdsRegion('ap-south-1', 'mydb.c9akciq32.eu-west-3.rds.amazonaws.com', {})).toEqual({ region: 'ap-south-1', from: 'region' });
  });
});
