// The Oracle Database emulator against a client no driver imitates: one that never marks the end of
// its requests, splits and pipelines them, sends what is not a request, or goes silent. A real server
// answers each request once it has all arrived, and drops what is not Oracle Net.
import { spawn } from 'node:child_process';
import { checkServerIdentity, connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbToken, TokenProvider } from 'dbtoken';
import { ociDbToken, ociScope } from 'dbtoken/oci';
import { startOciIdentityEmulator, startOracleDbEmulator, type OciIdentityEmulator, type OracleDbEmulator } from 'dbtoken/testing';
import { DATA_FLAG, PACKET } from '../../src/testing/oracle/wire.js';
import { rsaKeys, tempDir, writeProfile } from '../helpers/oci-files.js';
import { authRequest, bareCall, dataPacket, dataTypesRequest, executeRequest, protocolRequest, RawClient } from '../helpers/oracle-raw-client.js';

const TENANCY = 'ocid1.tenancy.oc1..aaaarawtenancy00000000000000000000000000000000000000000000000';
const COMPARTMENT = 'ocid1.compartment.oc1..aaaarawcomp000000000000000000000000000000000000000000000000';
const DATABASE = 'ocid1.autonomousdatabase.oc1.iad.aaaarawdb00000000000000000000000000000000000000000000000000';
const ALICE = 'ocid1.user.oc1..aaaarawalice00000000000000000000000000000000000000000000000000';
const REGION = 'us-ashburn-1';
const SERVICE = 'g1r_raw_high.adb.oraclecloud.com';
const keys = rsaKeys();
const { configFile } = writeProfile(tempDir(), { keys, user: ALICE, tenancy: TENANCY, region: REGION });

let iam: OciIdentityEmulator;
let db: OracleDbEmulator;
let provider: TokenProvider;
let token: DbToken;
const started: OracleDbEmulator[] = [];
const clients: RawClient[] = [];

beforeAll(async () => {
  iam = await startOciIdentityEmulator({
    tenancies: [{ ocid: TENANCY, users: [{ ocid: ALICE, name: 'alice', groups: ['db_users'], apiKeys: [{ fingerprint: keys.fingerprint, publicKey: keys.publicPem }] }] }],
    regions: [REGION],
  });
  db = await emulator();
  provider = ociDbToken({ scope: ociScope.database(COMPARTMENT, DATABASE), auth: { type: 'api_key', configFile }, endpoint: iam.endpointFor(REGION) });
  token = await provider.getToken();
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.close();
  provider?.close();
  await Promise.all(started.map((e) => e.close()));
  await iam?.close();
});

async function emulator(extra: { inboundConnectTimeout?: number; endOfRequest?: boolean } = {}): Promise<OracleDbEmulator> {
  const e = await startOracleDbEmulator({ identity: iam, database: { ocid: DATABASE, compartment: COMPARTMENT, tenancy: TENANCY, service: SERVICE, region: REGION }, ...extra });
  started.push(e);
  await e.admin(`CREATE USER app_users IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=db_users'; GRANT CREATE SESSION TO app_users;`);
  return e;
}

async function open(on: OracleDbEmulator = db): Promise<RawClient> {
  const c = await RawClient.open(on.port, on.ca);
  clients.push(c);
  return c;
}

/** node-oracledb's descriptor, with a CID of the client's choosing. */
function descriptor(cid = '(CID=(PROGRAM=raw-program)(HOST=raw-host)(USER=raw-user))'): string {
  return `(DESCRIPTION=(ADDRESS=(PROTOCOL=tcps)(HOST=127.0.0.1)(PORT=${db.port}))(CONNECT_DATA=(SERVICE_NAME=${SERVICE})${cid}(CONNECTION_ID=raw)))`;
}

const login = (c: RawClient, o: { leaveOut?: readonly string[]; cid?: string } = {}) =>
  c.login({ descriptor: descriptor(o.cid), token: token.token, privateKey: token.privateKey!, service: SERVICE, ...(o.leaveOut ? { leaveOut: o.leaveOut } : {}) });

const select = (sql: string, seq = 2) => executeRequest({ sql, query: true, seq });

describe('a client that never marks the end of a request', () => {
  it('negotiates, logs in and queries: every request is answered once it has arrived', async () => {
    const c = await open();
    const answer = await login(c);
    expect(answer).toMatchObject({ errorNum: 0 });
    expect(answer.parameters.get('AUTH_SC_SERVICE_NAME')).toBe(SERVICE);
    expect((await c.call(select('select user, 1e100 from dual'))).rows).toEqual([['APP_USERS', `1${'0'.repeat(100)}`]]);
    expect(c.dataFlags.every((f) => f === 0)).toBe(true);
  });

  it('a request split over DATA packets is answered after its last part, whatever its size', async () => {
    const c = await open();
    await login(c);
    const long = select(`select '${'x'.repeat(4000)}' a, '${'y'.repeat(4000)}' b from dual`, 3);
    expect(long.length).toBeGreaterThan(8000);
    for (let at = 0; at < long.length; at += 1000) c.write(dataPacket(long.subarray(at, at + 1000)));
    const answer = await c.answer();
    expect(answer.rows).toEqual([['x'.repeat(4000), 'y'.repeat(4000)]]);
  });

  it('protocol and data-type negotiation in one packet, one behind the other, get an answer each', async () => {
    const c = await open();
    expect((await c.connect(descriptor())).type).toBe(PACKET.ACCEPT);
    c.write(dataPacket(Buffer.concat([protocolRequest(), dataTypesRequest()])));
    expect((await c.answer()).kind).toBe('protocol');
    expect((await c.answer()).kind).toBe('data-types');
  });

  it('two calls in one packet (pipelined) are answered in order', async () => {
    const c = await open();
    await login(c);
    c.write(dataPacket(Buffer.concat([select("select 'first' from dual", 2), bareCall(147, 3), select("select 'second' from dual", 4)])));
    expect((await c.answer()).rows).toEqual([['first']]);
    expect(await c.answer()).toMatchObject({ errorNum: 0, rows: [] });
    expect((await c.answer()).rows).toEqual([['second']]);
  });

  it('a connect descriptor over 230 bytes, sent after the CONNECT in two parts, is read whole', async () => {
    const c = await open();
    // The service name comes last, in the second part.
    const long = `(DESCRIPTION=(ADDRESS=(PROTOCOL=tcps)(HOST=127.0.0.1)(PORT=${db.port}))(CONNECT_DATA=(CID=(PROGRAM=${'p'.repeat(200)})(HOST=raw-host)(USER=raw-user))(SERVICE_NAME=${SERVICE})))`;
    expect(long.length).toBeGreaterThan(230);
    expect((await c.connect(long, 2)).type).toBe(PACKET.ACCEPT);
  });
});

describe('what the login leaves out, the connect data tells', () => {
  it('HOST, OS_USER and the program come from the CID when AUTH_MACHINE, AUTH_SID and AUTH_PROGRAM_NM are missing', async () => {
    const c = await open();
    expect(await login(c, { leaveOut: ['AUTH_MACHINE', 'AUTH_SID', 'AUTH_PROGRAM_NM'] })).toMatchObject({ errorNum: 0 });
    const sql = "select sys_context('userenv','host'), sys_context('userenv','os_user'), sys_context('userenv','client_program_name'), sys_context('userenv','module') from dual";
    expect((await c.call(select(sql))).rows).toEqual([['raw-host', 'raw-user', 'raw-program', 'raw-program']]);
  });

  it('what the login does say wins over the CID', async () => {
    const c = await open();
    await login(c);
    const sql = "select sys_context('userenv','host'), sys_context('userenv','os_user'), sys_context('userenv','client_program_name') from dual";
    expect((await c.call(select(sql))).rows).toEqual([['raw-machine', 'raw-os-user', 'raw-client']]);
  });
});

describe('a request that cannot be read is an ORA error, and the session goes on', () => {
  it('one the client says ended before its layout does: ORA-03137, then the next query works', async () => {
    const c = await open();
    await login(c);
    const whole = select("select 'cut' from dual");
    const cut = await c.call(whole.subarray(0, whole.length - 3), DATA_FLAG.END_OF_REQUEST);
    expect(cut).toMatchObject({ errorNum: 3137, message: expect.stringMatching(/^ORA-03137: malformed TTC packet from client rejected: \[the message ends inside/) });
    expect((await c.call(select("select 'after' from dual", 3))).rows).toEqual([['after']]);
  });

  it('one that is no request at all: ORA-03137, then the next query works', async () => {
    const c = await open();
    await login(c);
    expect(await c.call(Buffer.from([4, 0, 0]))).toMatchObject({ errorNum: 3137, message: expect.stringContaining('TTC message type 4 is not a request') });
    expect((await c.call(select("select 'after' from dual", 3))).rows).toEqual([['after']]);
  });

  it('values that kill no connection: a long literal is ORA-01704, a number past NUMBER ORA-01426', async () => {
    const c = await open();
    await login(c);
    expect(await c.call(select(`select '${'z'.repeat(4001)}' from dual`))).toMatchObject({ errorNum: 1704 });
    expect(await c.call(select('select 1e126 from dual', 3))).toMatchObject({ errorNum: 1426 });
    expect((await c.call(select('select 12345678901234567890123456789012345678901234567890 from dual', 4))).rows).toEqual([['12345678901234567890123456789012345678900000000000']]);
  });
});

describe('bytes that are not Oracle Net', () => {
  it('an HTTP request after TLS is refused at once, long before any timeout', async () => {
    const c = await open();
    c.write(Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'));
    await c.closed;
    expect(c.socket.destroyed).toBe(true);
  });

  it('a first packet of another type (DATA) is refused too', async () => {
    const c = await open();
    c.write(dataPacket(protocolRequest(), 0, 'short').subarray(0, 5));
    await c.closed;
    expect(c.socket.destroyed).toBe(true);
  });
});

describe('inboundConnectTimeout', () => {
  // Bounds, not timings: each client must get as far as the test takes it (TLS, ACCEPT, a login) within the
  // timeout, so the timeouts leave a loaded machine seconds for that; only the drops are awaited.
  it('drops a client that finished TLS and said nothing, and one that got its ACCEPT and went silent', { timeout: 60_000 }, async () => {
    const quick = await emulator({ inboundConnectTimeout: 3000 });
    const silent = await open(quick);
    const accepted = await open(quick);
    expect((await accepted.connect(descriptor())).type).toBe(PACKET.ACCEPT);
    await Promise.all([silent.closed, accepted.closed]);
  });

  it('drops a client refused that stayed, and one that stopped inside a request; a logged-in session may idle', { timeout: 90_000 }, async () => {
    const slow = await emulator({ inboundConnectTimeout: 10_000 });
    const idle = await open(slow);
    await idle.login({ descriptor: descriptor(), token: token.token, privateKey: token.privateKey!, service: SERVICE });
    const stalled = await open(slow);
    await stalled.login({ descriptor: descriptor(), token: token.token, privateKey: token.privateKey!, service: SERVICE });
    stalled.write(dataPacket(select('select 1 from dual').subarray(0, 10)));
    const refused = await open(slow);
    expect(await refused.login({ descriptor: descriptor(), token: token.token, privateKey: token.privateKey!, service: SERVICE, leaveOut: ['AUTH_SIGNATURE'] })).toMatchObject({ errorNum: 25711 });
    await Promise.all([stalled.closed, refused.closed]);
    // The idle session has outlived them, and still answers.
    expect((await idle.call(select("select 'still here' from dual"))).rows).toEqual([['still here']]);
  });

  it('is checked', async () => {
    for (const bad of [0, -1, 1.5, 2 ** 31, Number.NaN, '1000']) {
      await expect(startOracleDbEmulator({ identity: iam, database: { ocid: DATABASE, compartment: COMPARTMENT, tenancy: TENANCY, service: SERVICE, region: REGION }, inboundConnectTimeout: bad as number })).rejects.toThrow(/inboundConnectTimeout/);
    }
  });

  it('keeps no process alive: with a client held and a timeout of ten minutes, the process exits once the emulator is closed', async () => {
    const child = `
      import { connect } from 'node:tls';
      import { startOciIdentityEmulator, startOracleDbEmulator } from 'dbtoken/testing';
      const iam = await startOciIdentityEmulator({ tenancies: [{ ocid: ${JSON.stringify(TENANCY)}, users: [] }], regions: ['${REGION}'] });
      const db = await startOracleDbEmulator({ identity: iam, database: { ocid: ${JSON.stringify(DATABASE)}, compartment: ${JSON.stringify(COMPARTMENT)}, tenancy: ${JSON.stringify(TENANCY)}, service: 'svc1', region: '${REGION}' }, inboundConnectTimeout: 600000 });
      const socket = connect({ host: '127.0.0.1', port: db.port, ca: db.ca, servername: 'localhost' });
      socket.on('error', () => {});
      await new Promise((resolve) => socket.once('secureConnect', resolve));
      await db.close();
      await iam.close();
      process.stdout.write('closed');
    `;
    const proc = spawn(process.execPath, ['--input-type=module', '-e', child], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d));
    proc.stderr.on('data', (d: Buffer) => (err += d));
    const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
    expect({ code, out }, err).toEqual({ code: 0, out: 'closed' });
  }, 60_000);
});

describe('end-of-request mode, as a raw client sees it', () => {
  it('the ACCEPT announces it; a call\'s answer ends with END_OF_REQUEST in a packet flagged END_OF_RESPONSE; negotiation answers do not', async () => {
    const eor = await emulator({ endOfRequest: true });
    const c = await open(eor);
    const accept = await c.connect(descriptor());
    expect(accept.bytes.readUInt32BE(41)).toBe(0x02000000);
    c.write(dataPacket(protocolRequest()));
    await c.answer();
    c.write(dataPacket(dataTypesRequest()));
    await c.answer();
    expect(c.dataFlags).toEqual([0, 0]);
    c.write(dataPacket(authRequest({ token: token.token, privateKey: token.privateKey!, service: SERVICE, peer: `${c.socket.remoteAddress}:${c.socket.remotePort}` })));
    expect(await c.answer(true)).toMatchObject({ errorNum: 0, endOfRequest: true });
    c.write(dataPacket(select("select 'eor' from dual")));
    expect(await c.answer(true)).toMatchObject({ rows: [['eor']], errorNum: 1403, endOfRequest: true });
    expect(c.dataFlags.slice(2)).toEqual([DATA_FLAG.END_OF_RESPONSE, DATA_FLAG.END_OF_RESPONSE]);
  });
});

describe('the advertised host', () => {
  it('connectString names localhost, which the certificate carries as a DNS name, so a client that checks names accepts it', async () => {
    expect(db.host).toBe('localhost');
    expect(db.connectString).toBe(`tcps://localhost:${db.port}/${SERVICE}`);
    const socket = connect({ host: db.host, port: db.port, ca: db.ca, servername: db.host });
    const cert = await new Promise<ReturnType<typeof socket.getPeerCertificate>>((resolve, reject) => {
      socket.once('secureConnect', () => resolve(socket.getPeerCertificate()));
      socket.once('error', reject);
    });
    socket.destroy();
    expect(cert.subjectaltname?.split(', ')).toContain('DNS:localhost');
    expect(checkServerIdentity(db.host, cert)).toBeUndefined();
  });
});
