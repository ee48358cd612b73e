// Runs the OCI Identity Data Plane emulator in its own process, so that its
// signing and verifying never show up in the benchmark's event-loop figures.
// Reads its options as JSON from argv[2]; prints { url } once listening.
import { setPriority } from 'node:os';
import { startOciIdentityEmulator } from 'dbtoken/testing';

// It stands in for a remote service: let it take CPU only when the benchmark's process does not need it.
setPriority(19);

const options = JSON.parse(process.argv[2]);
const iam = await startOciIdentityEmulator(options);
process.stdout.write(`${JSON.stringify({ url: iam.url })}\n`);
process.on('message', async (m) => {
  if (m === 'count') process.send({ count: iam.requests.length });
  if (m === 'close') {
    await iam.close();
    process.exit(0);
  }
});
