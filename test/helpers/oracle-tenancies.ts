import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startOracleDbEmulator, type OciIdentityEmulator, type OracleDbEmulator } from 'dbtoken/testing';
import { tempDir } from './temp.js';

/**
 * OCIDs of two tenancies for the Oracle tests: A (us-ashburn-1) holds the users and a database; B
 * (eu-frankfurt-1) a database that A's users reach across tenancies.
 */
export const TENANCY_A = 'ocid1.tenancy.oc1..aaaatenancya0000000000000000000000000000000000000000000000';
export const TENANCY_B = 'ocid1.tenancy.oc1..aaaatenancyb0000000000000000000000000000000000000000000000';
export const COMP_A = 'ocid1.compartment.oc1..aaaacompa00000000000000000000000000000000000000000000000000';
export const COMP_B = 'ocid1.compartment.oc1..aaaacompb00000000000000000000000000000000000000000000000000';
export const DB_A = 'ocid1.autonomousdatabase.oc1.iad.aaaadba000000000000000000000000000000000000000000000000000';
export const DB_B = 'ocid1.autonomousdatabase.oc1.eu-frankfurt-1.aaaadbb0000000000000000000000000000000000000000000000';
export const ALICE = 'ocid1.user.oc1..aaaaalice000000000000000000000000000000000000000000000000000000';

/** Tenancy A's database in us-ashburn-1, tenancy B's in eu-frankfurt-1, and a file of both CAs for NODE_EXTRA_CA_CERTS. */
export async function startTwoDatabases(
  iam: OciIdentityEmulator,
  services: { a: string; b: string },
): Promise<{ ashburn: OracleDbEmulator; frankfurt: OracleDbEmulator; caFile: string; close(): Promise<void> }> {
  const started = await Promise.allSettled([
    startOracleDbEmulator({ identity: iam, database: { ocid: DB_A, compartment: COMP_A, tenancy: TENANCY_A, service: services.a, region: 'us-ashburn-1' } }),
    startOracleDbEmulator({ identity: iam, database: { ocid: DB_B, compartment: COMP_B, tenancy: TENANCY_B, service: services.b, region: 'eu-frankfurt-1' } }),
  ]);
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    // The one that did start would keep the test process alive.
    await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)));
    throw failed.reason;
  }
  const [ashburn, frankfurt] = started.map((r) => (r as PromiseFulfilledResult<OracleDbEmulator>).value) as [OracleDbEmulator, OracleDbEmulator];
  const caFile = join(tempDir('dbtoken-ca-'), 'ca.pem');
  writeFileSync(caFile, ashburn.ca + frankfurt.ca);
  return { ashburn, frankfurt, caFile, close: async () => void (await Promise.all([ashburn.close(), frankfurt.close()])) };
}
