import { describe, expect, it } from 'vitest';
import { rdsRegionFromHostname } from '../../src/sources/aws/region.js';

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
