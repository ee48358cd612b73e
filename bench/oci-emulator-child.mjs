// Runs the OCI Identity Data Plane emulator, and the Oracle Database emulator
// that trusts it, in their own process, so that their signing, verifying and
// TLS never show up in the benchmark's figures. Reads JSON from argv[2]:
// { identity: <startOciIdentityEmulator options>, database?: <database>, admin?: <sql> }.
// Prints { url, connectString?, wallet? } once listening (the wallet holds the
// emulator's throw-away CA and client key: it only travels over this pipe).
// Answers 'stats' with when IAM answered each request and each login's verdict.
import { setPriority } from 'node:os';
import { startOciIdentityEmulator, startOracleDbEmulator } from 'dbtoken/testing';

// It stands in for remote services: let it take CPU only when the benchmark's process does not need it.
setPriority(19);

const options = JSON.parse(process.argv[2]);
const iam = await startOciIdentityEmulator(options.identity);
const db = options.database ? await startOracleDbEmulator({ identity: iam, database: options.database }) : undefined;
if (db && options.admin) await db.admin(options.admin);

// The emulator records requests without a time: note when each one appears.
const iamCalls = [];
setInterval(() => {
  while (iamCalls.length < iam.requests.length) iamCalls.push(Date.now());
}, 5);

process.stdout.write(`${JSON.stringify({ url: iam.url, ...(db ? { connectString: db.connectString, wallet: db.wallet } : {}) })}\n`);
// A bench that dies without sending 'close' takes its emulators with it.
process.on('disconnect', () => process.exit(0));
process.on('message', async (m) => {
  if (m === 'stats') {
    const logins = (db?.logins ?? []).map((l) => ({ at: l.at.getTime(), ok: l.ok, code: l.code }));
    process.send({ iamCalls: iam.requests.map((r, i) => ({ at: iamCalls[i] ?? Date.now(), ok: r.ok })), logins });
  }
  if (m === 'close') {
    await db?.close();
    await iam.close();
    process.exit(0);
  }
});
