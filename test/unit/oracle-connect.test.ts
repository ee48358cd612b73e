import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from 'dbtoken';
import { connectTransport, loadOracleNet, loadTnsNames, parseTnsNames, type Transport } from '../../adapters/oracle-connect.js';
import { oracleNetReader } from '../../adapters/oracle-net/driver.js';
import { easyConnectDescriptor } from '../../adapters/oracle-net/easy-connect.js';
import { parseNvPair, type NvPair } from '../../adapters/oracle-net/nv-pair.js';
import { HOSTILE } from '../helpers/oracle-hostile.js';
import { tempDir } from '../helpers/temp.js';

/** The installed node-oracledb's own readers, which the check reads connect strings with. */
const net = (await loadOracleNet())!;

/** What `f` threw, or undefined. */
function caught(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** A pair as nested arrays, for readable tables: [name, atom] or [name, [children]]; [name] for `(NAME=)`. */
type Shape = [string] | [string, string] | [string, Shape[]];
const shape = (p: NvPair): Shape => (p.atom !== undefined ? [p.name, p.atom] : p.children.length > 0 ? [p.name, p.children.map(shape)] : [p.name]);

describe('parseNvPair: name-value strings as the driver reads them', () => {
  it('finds the driver\'s readers', () => {
    expect(typeof net?.nvPair).toBe('function');
    expect(typeof net?.easyConnect).toBe('function');
  });

  it.each<[string, unknown, unknown]>([
    ['nothing', undefined, undefined],
    ['a parser without createNVPair', class {}, {}],
    ['a parser that throws', class {}, { createNVPair: () => { throw new TypeError('moved'); } }],
    ['a parser that prints otherwise', class {}, { createNVPair: () => ({ toString: () => '(A=(B="x y"))' }) }],
  ])('takes no readers from %s: the check then fails closed', (_n, resolver, parser) => {
    expect(oracleNetReader(resolver, parser)).toBeUndefined();
  });

  it.each<[string, Shape]>([
    ['(A=1)', ['A', '1']],
    ['( A = 1 )', ['A', '1']],
    ['(A="x y")', ['A', 'x y']],
    ["(A=' tcps ')", ['A', 'tcps']],
    ['(A=" tcp\t")', ['A', 'tcp']],
    ['("PROTOCOL"=TCP)', ['PROTOCOL', 'TCP']],
    ['(A=x\\)y)', ['A', 'x\\)y']],
    ['(A=\\#x)', ['A', '\\#x']],
    ['(A=b=c,d)', ['A', 'b=c,d']],
    ['(A)', ['A', 'A']],
    ['(A=)', ['A']],
    ['(A=(B=1)(C=(D=2)))', ['A', [['B', '1'], ['C', [['D', '2']]]]]],
    ['(A=(B,C))', ['A', [['B', 'B'], ['C', 'C']]]],
    ['(a, b = (X=1))', ['a,b', [['X', '1']]]],
    ['(\n\tDESCRIPTION =\r\n (ADDRESS=(PROTOCOL=TCPS)))', ['DESCRIPTION', [['ADDRESS', [['PROTOCOL', 'TCPS']]]]]],
    ['(A=1 2)', ['A', '1 2']],
    // The driver reads the first pair and ignores what follows.
    ['(A=1)(B=2)', ['A', '1']],
    // It cuts literals in UTF-16 units: an emoji loses its second half.
    ['(A=\u{1F600})', ['A', '\uD83D']],
  ])('%j', (text, want) => {
    const r = parseNvPair(text, net);
    expect('pair' in r && shape(r.pair)).toEqual(want);
  });

  it.each([
    ['', /refuses it \(NJS-514\)/],
    ['A=1', /refuses it \(NJS-514\)/],
    ['(A=1', /refuses it \(NJS-514\)/],
    ['(A=(B=1)', /refuses it \(NJS-514\)/],
    ['(A="unclosed)', /refuses it \(NJS-514\)/],
    ['(=1)', /refuses it \(NJS-514\)/],
    ['(A=x#y)', /refuses it \(NJS-514\)/],
    ['(A="x"y)', /refuses it \(NJS-514\)/],
    [`${'(A='.repeat(70)}1${')'.repeat(70)}`, /deeper than 64/],
    // Printed back without its quotes (as node-oracledb 7+ does to apply overrides), the value becomes pairs of its own.
    ['(DESCRIPTION=(ADDRESS=(X="y)(PROTOCOL=tcp)(Z=")(PROTOCOL=tcps)))', /prints the descriptor back/],
    ["(A=(B='(C=1)'))", /prints the descriptor back/],
    ['(A="a)b")', /prints the descriptor back/],
    // The driver's parser recurses until the stack runs out.
    [`${'(A='.repeat(20_000)}1${')'.repeat(20_000)}`, /cannot read it \(RangeError\)/],
  ])('%j', (text, error) => {
    const r = parseNvPair(text, net);
    expect('error' in r && r.error).toMatch(error);
  });
});

describe('easyConnectDescriptor: the descriptor the driver builds', () => {
  const ez = (s: string) => {
    const r = easyConnectDescriptor(s, net);
    return 'descriptor' in r ? r.descriptor : r;
  };
  it.each([
    ['tcps://db:1522/svc', '(DESCRIPTION=(ADDRESS=(PROTOCOL=tcps)(HOST=db)(PORT=1522))(CONNECT_DATA=(SERVICE_NAME=svc)))'],
    ['db/svc', '(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=db)(PORT=1521))(CONNECT_DATA=(SERVICE_NAME=svc)))'],
    ['//db:1521/svc', '(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=db)(PORT=1521))(CONNECT_DATA=(SERVICE_NAME=svc)))'],
    [' T c p s :// db : 1522 / svc ', '(DESCRIPTION=(ADDRESS=(PROTOCOL=Tcps)(HOST=db)(PORT=1522))(CONNECT_DATA=(SERVICE_NAME=svc)))'],
    [
      'tcps://db1,db2:1522/svc:pooled/inst1',
      '(DESCRIPTION=(LOAD_BALANCE=ON)(ADDRESS=(PROTOCOL=tcps)(HOST=db1)(PORT=1522))(ADDRESS=(PROTOCOL=tcps)(HOST=db2)(PORT=1522))(CONNECT_DATA=(SERVICE_NAME=svc)(SERVER=pooled)(INSTANCE_NAME=inst1)))',
    ],
    [
      'tcps://db1:1;db2,[::1]:2/svc',
      '(DESCRIPTION=(ADDRESS_LIST=(ADDRESS=(PROTOCOL=tcps)(HOST=db1)(PORT=1)))(ADDRESS_LIST=(LOAD_BALANCE=ON)(ADDRESS=(PROTOCOL=tcps)(HOST=db2)(PORT=2))(ADDRESS=(PROTOCOL=tcps)(HOST=::1)(PORT=2)))(CONNECT_DATA=(SERVICE_NAME=svc)))',
    ],
    // A trailing ';' leaves an empty group, which the driver writes as an empty ADDRESS_LIST.
    ['tcps://db:1522;/svc', '(DESCRIPTION=(ADDRESS_LIST=(ADDRESS=(PROTOCOL=tcps)(HOST=db)(PORT=1522)))(ADDRESS_LIST=)(CONNECT_DATA=(SERVICE_NAME=svc)))'],
    [
      'tcps://db:1522/svc?retry_count=2&wallet_location="/w x"&pool_purity=self&ssl_server_cert_dn="CN=db,O=x"&nonsense=1',
      '(DESCRIPTION=(RETRY_COUNT=2)(ADDRESS=(PROTOCOL=tcps)(HOST=db)(PORT=1522))(CONNECT_DATA=(SERVICE_NAME=svc)(POOL_PURITY=self))(SECURITY=(SSL_SERVER_CERT_DN=CN=db,O=x})(MY_WALLET_DIRECTORY=/w x)))',
    ],
    [
      'tcps://db:1522/svc?https_proxy=px&https_proxy_port=80',
      '(DESCRIPTION=(ADDRESS=(PROTOCOL=tcps)(HOST=db)(PORT=1522)(HTTPS_PROXY=px)(HTTPS_PROXY_PORT=80))(CONNECT_DATA=(SERVICE_NAME=svc)))',
    ],
    // The value is pasted as it is: the expansion gains an ADDRESS.
    [
      'tcps://db:1522/svc?retry_count="0)(ADDRESS=(PROTOCOL=TCP)(HOST=evil)(PORT=1521)"',
      '(DESCRIPTION=(RETRY_COUNT=0)(ADDRESS=(PROTOCOL=TCP)(HOST=evil)(PORT=1521))(ADDRESS=(PROTOCOL=tcps)(HOST=db)(PORT=1522))(CONNECT_DATA=(SERVICE_NAME=svc)))',
    ],
  ])('%j', (s, want) => {
    expect(ez(s)).toBe(want);
  });

  it.each([
    ['h:1521/svc', /refuses it \(NJS-515\)/], // a one-letter host does not match the driver's pattern
    ['ipc://db/svc', /refuses it \(NJS-515\)/],
    ['tcps://db:1522/svc?', /refuses it \(NJS-515\)/],
    ['tcps://db:1522/svc?a=1=2', /refuses it \(NJS-515\)/],
    ['tcps://db:1522/svc?&', /refuses it \(NJS-515\)/],
    ['tcps://db:1522/svc?a="1', /cannot read it \(TypeError\)/],
    [`tcps://db:1522/svc?${'a=b&'.repeat(600)}`, /longer than 2048 characters/],
  ])('%j is refused', (s, error) => {
    expect(ez(s)).toMatchObject({ error: expect.stringMatching(error) });
  });
});

describe('parseTnsNames: entries and includes as the driver reads the file', () => {
  it('reads names, continuation lines, comments and IFILEs', () => {
    const r = parseTnsNames(
      [
        '\uFEFF# a header',
        'db_high, db = (DESCRIPTION= # a comment',
        '   (ADDRESS = (PROTOCOL = " tcps ")(HOST = h)(PORT = 1522))',
        '(CONNECT_DATA=(SERVICE_NAME=s))) # "a comment"',
        '',
        'IFILE = "/etc/more.ora"',
        "ez = tcps://h:1522/svc\r\nbare\rifile=(A=1)",
      ].join('\n'),
      net,
    );
    expect('items' in r).toBe(true);
    const items = 'items' in r ? r.items : [];
    expect(items.map((i) => (i.kind === 'entry' ? [i.line, ...i.names] : [i.line, 'IFILE', i.path]))).toEqual([
      [1, ''],
      [2, 'DB_HIGH', 'DB'],
      [6, 'IFILE', '/etc/more.ora'],
      [7, 'EZ'],
      [8, 'BARE'],
      [9, 'IFILE', undefined],
    ]);
    const db = items[1]!;
    expect(db.kind === 'entry' && shape(db.value)).toEqual([
      'db_high,db',
      [['DESCRIPTION', [['ADDRESS', [['PROTOCOL', 'tcps'], ['HOST', 'h'], ['PORT', '1522']]], ['CONNECT_DATA', [['SERVICE_NAME', 's']]]]]],
    ]);
  });

  it.each([
    ['db = (DESCRIPTION=(ADDRESS=(PROTOCOL=TCPS)', 1, /refuses it \(NJS-514\)/],
    ['ok = (A=1)\n\ndb = (A=(B=1)', 3, /refuses it \(NJS-514\)/],
    ['db = (DESCRIPTION=(ADDRESS=(PROTOCOL=TCPS)(HOST="h#x")(PORT=1)))', 1, /refuses it \(NJS-514\)/], // '#' starts a comment even inside quotes
  ])('%j: line %i', (text, line, error) => {
    expect(parseTnsNames(text, net)).toMatchObject({ line, error: expect.stringMatching(error) });
  });
});

describe('loadTnsNames: configDir, else TNS_ADMIN, and IFILE includes', () => {
  const reader = (files: Record<string, string>) => (path: string) => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    return text;
  };
  const entry = (p: string) => `db = (DESCRIPTION=(ADDRESS=(PROTOCOL=${p})(HOST=h)(PORT=1)))\n`;

  it('follows absolute IFILEs in order, keeping every definition', () => {
    const tns = loadTnsNames('/cfg', net, {}, reader({ '/cfg/tnsnames.ora': `${entry('TCPS')}IFILE=/inc/a.ora\n`, '/inc/a.ora': entry('TCP') }));
    expect(tns?.aliases.get('DB')?.map((d) => `${d.file}:${d.line}`)).toEqual(['/cfg/tnsnames.ora:1', '/inc/a.ora:1']);
    expect(connectTransport('db', net, tns)).toMatchObject({ kind: 'tcp', why: expect.stringMatching(/\/inc\/a\.ora line 1\): an ADDRESS has PROTOCOL=TCP \(the alias is defined 2 times; each must be TCPS\)/) });
  });

  it('uses TNS_ADMIN when configDir is missing or empty, as the driver does, and is undefined without a file', () => {
    const files = reader({ '/admin/tnsnames.ora': entry('TCPS') });
    expect(loadTnsNames(undefined, net, { TNS_ADMIN: '/admin' }, files)?.aliases.has('DB')).toBe(true);
    expect(loadTnsNames('', net, { TNS_ADMIN: '/admin' }, files)?.aliases.has('DB')).toBe(true);
    expect(loadTnsNames(undefined, net, {}, files)).toBeUndefined();
    expect(loadTnsNames('/nowhere', net, {}, files)).toBeUndefined();
  });

  const chain = (depth: number) => {
    const files: Record<string, string> = { '/cfg/tnsnames.ora': 'IFILE=/inc/1.ora\n' };
    for (let i = 1; i <= depth; i++) files[`/inc/${i}.ora`] = i < depth ? `IFILE=/inc/${i + 1}.ora\n` : entry('TCPS');
    return reader(files);
  };

  it('follows IFILEs 4 levels deep, as far as the driver reads them', () => {
    expect(connectTransport('db', net, loadTnsNames('/cfg', net, {}, chain(4)))).toMatchObject({ kind: 'tcps' });
  });

  it.each<[string, () => ReturnType<typeof reader>, RegExp]>([
    ['a relative IFILE', () => reader({ '/cfg/tnsnames.ora': 'IFILE = more.ora\n' }), /line 1: IFILE is a relative path/],
    ['an IFILE 5 levels deep (the driver would drop it)', () => chain(5), /\/inc\/4\.ora line 1: IFILE is nested more than 4 levels deep/],
    ['a cycle', () => reader({ '/cfg/tnsnames.ora': 'IFILE=/inc/a.ora\n', '/inc/a.ora': 'IFILE=/cfg/tnsnames.ora\n' }), /includes a file that includes it/],
    ['a missing IFILE', () => reader({ '/cfg/tnsnames.ora': 'IFILE=/inc/none.ora\n' }), /IFILE cannot be read \(ENOENT\)/],
    ['an IFILE without a single path', () => reader({ '/cfg/tnsnames.ora': 'IFILE=(A=1)\n' }), /IFILE has no single path/],
    ['a syntax error in an included file', () => reader({ '/cfg/tnsnames.ora': 'IFILE=/inc/a.ora\n', '/inc/a.ora': 'db = (A=\n' }), /\/inc\/a\.ora line 1: node-oracledb refuses it \(NJS-514\)/],
    ['too many includes', () => reader({ '/cfg/tnsnames.ora': 'IFILE=/inc/a.ora\n'.repeat(65), '/inc/a.ora': '' }), /more than 64 includes/],
  ])('refuses %s with a ConfigError on configDir', (_n, files, problem) => {
    const err = caught(() => loadTnsNames('/cfg', net, {}, files()));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ field: 'configDir', problem: expect.stringMatching(problem), fix: expect.stringMatching(/absolute path|correct/) });
  });

  it.each([
    ['/dev/zero', () => '/dev/zero'],
    ['a FIFO that no one writes to', (dir: string) => {
      execFileSync('mkfifo', [join(dir, 'pipe.ora')]);
      return join(dir, 'pipe.ora');
    }],
  ])('an IFILE naming %s is refused unread: nothing blocks', (_n, target) => {
    const dir = tempDir('dbtoken-tns-');
    writeFileSync(join(dir, 'tnsnames.ora'), `IFILE = ${target(dir)}\n`);
    const err = caught(() => loadTnsNames(dir, net, {}));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ field: 'configDir', problem: expect.stringMatching(/line 1: IFILE cannot be read \(not a regular file\)/) });
  });

  it('a tnsnames.ora over 1 MiB is refused unread', () => {
    const dir = tempDir('dbtoken-tns-');
    writeFileSync(join(dir, 'tnsnames.ora'), `# ${'x'.repeat(1 << 20)}\n`);
    expect(() => loadTnsNames(dir, net, {})).toThrow(/tnsnames\.ora cannot be read \(larger than 1 MiB\)/);
  });

  it.skipIf(!existsSync('/proc/self/pagemap'))('an IFILE naming a /proc file (size 0 on stat, gigabytes to read) is refused, never read to its end', () => {
    const dir = tempDir('dbtoken-tns-');
    writeFileSync(join(dir, 'tnsnames.ora'), 'IFILE = /proc/self/pagemap\n');
    // Refused either way: the kernel answers a read of 1 MiB and a byte with EINVAL.
    expect(() => loadTnsNames(dir, net, {})).toThrow(/line 1: IFILE cannot be read \((larger than 1 MiB|EINVAL)\)/);
  });

  it('includes that together pass 4 MiB are refused', () => {
    const dir = tempDir('dbtoken-tns-');
    const part = `# ${'x'.repeat(900_000)}\n`;
    for (let i = 1; i <= 5; i++) writeFileSync(join(dir, `${i}.ora`), part);
    writeFileSync(join(dir, 'tnsnames.ora'), [1, 2, 3, 4, 5].map((i) => `IFILE = ${join(dir, `${i}.ora`)}\n`).join(''));
    expect(() => loadTnsNames(dir, net, {})).toThrow(/5\.ora takes the files past 4 MiB together/);
  });

  it('a tnsnames.ora that cannot be read (not missing) is a ConfigError, naming TNS_ADMIN when it came from there', () => {
    const denied = () => {
      throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    };
    expect(() => loadTnsNames(undefined, net, { TNS_ADMIN: '/admin' }, denied)).toThrow(/configDir: \/admin\/tnsnames\.ora cannot be read \(EACCES\) \(from TNS_ADMIN\)/);
  });
});

describe('connectTransport', () => {
  const tns = loadTnsNames('/cfg', net, {}, () =>
    [
      '# ADB wallet tnsnames.ora',
      'mydb_high = (description= (retry_count=20)(retry_delay=3)(address=(protocol=tcps)(port=1522)(host=adb.us-ashburn-1.oraclecloud.com))(connect_data=(service_name=g1_mydb_high.adb.oraclecloud.com))(security=(ssl_server_dn_match=yes)))',
      'legacy, legacy_alias =',
      '  (DESCRIPTION =',
      '    (ADDRESS = (PROTOCOL = TCP)(HOST = db.internal)(PORT = 1521))',
      '    (CONNECT_DATA = (SERVICE_NAME = orcl)))',
      'ez = tcps://db:1522/svc',
      'ez_plain = db:1521/svc',
      'word = justaword',
      'two = (DESCRIPTION=(ADDRESS=(PROTOCOL=TCPS)(HOST=a)(PORT=1)))(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=b)(PORT=1)))',
    ].join('\n'),
  );

  it.each<[string, Transport['kind'], RegExp?]>([
    ['tcps://adb.us-ashburn-1.oraclecloud.com:1522/g1_mydb_high.adb.oraclecloud.com', 'tcps'],
    ['TCPS://host:2484/svc?wallet_location=/w', 'tcps'],
    ['tcp://host:1521/svc', 'tcp', /Easy Connect without tcps:\/\/ is TCP/],
    ['host:1521/svc', 'tcp'],
    ['host/svc', 'tcp'],
    ['(DESCRIPTION=(ADDRESS=(PROTOCOL=TCPS)(HOST=h)(PORT=1522))(CONNECT_DATA=(SERVICE_NAME=s)))', 'tcps'],
    ['(DESCRIPTION=(ADDRESS_LIST=(ADDRESS=(PROTOCOL=TCPS)(HOST=a)(PORT=1522))(ADDRESS=(PROTOCOL=TCP)(HOST=b)(PORT=1521)))(CONNECT_DATA=(SERVICE_NAME=s)))', 'tcp', /an ADDRESS has PROTOCOL=TCP/],
    ['(DESCRIPTION=(ADDRESS=(HOST=h)(PORT=1521))(CONNECT_DATA=(SERVICE_NAME=s)))', 'tcp', /names no PROTOCOL \(the default is TCP\)/],
    ['(DESCRIPTION=(ADDRESS=(PROTOCOL=)(HOST=h)(PORT=1521)))', 'tcp', /PROTOCOL without a single value/],
    ['(DESCRIPTION=(ADDRESS=(PROTOCOL=eyJhbGciOiJSUzI1NiJ9)(HOST=h)(PORT=1521)))', 'tcp', /PROTOCOL=a value other than TCPS/],
    ['(DESCRIPTION=(ADDRESS=(PROTOCOL=TCPS)(HOST=h)(PORT=1))(SECURITY=(PROTOCOL=TCP)))', 'tcp', /a PROTOCOL that is not TCPS outside/],
    ['(DESCRIPTION=(FAILOVER=off)(ADDRESS=(PROTOCOL=TCPS)(HOST=a)(PORT=1))(ADDRESS=(PROTOCOL=TCP)(HOST=b)(PORT=1)))', 'tcp'],
    ['(DESCRIPTION=(SOURCE_ROUTE=yes)(ADDRESS=(PROTOCOL=TCPS)(HOST=a)(PORT=1))(ADDRESS=(PROTOCOL=TCP)(HOST=b)(PORT=1)))', 'tcp'],
    ['(ADDRESS=(PROTOCOL=TCPS)(HOST=h)(PORT=1))', 'tcps'],
    // The driver connects from the first descriptor and ignores the text after it.
    ['(DESCRIPTION=(ADDRESS=(PROTOCOL=TCPS)(HOST=h)(PORT=1)))(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=h)(PORT=1)))', 'tcps'],
    ['mydb_high', 'tcps'],
    ['  MyDb_High  ', 'tcps'],
    ['legacy_alias', 'tcp', /the tnsnames.ora entry for "legacy_alias" \(\/cfg\/tnsnames.ora line 3\): an ADDRESS has PROTOCOL=TCP/],
    ['ez', 'tcps'],
    ['ez_plain', 'tcp'],
    ['two', 'tcp'],
    ['unknown_alias', 'unknown', /no tnsnames.ora entry/],
    ['config-ociobject://objectstorage.example.com/n/ns/b/bucket/o/db.json', 'unknown', /configuration provider/],
  ])('%s -> %s', (cs, kind, why) => {
    const t = connectTransport(cs, net, tns);
    expect(t.kind).toBe(kind);
    if (why) expect(t).toMatchObject({ why: expect.stringMatching(why) });
  });

  it('fails closed without the driver\'s readers (a node-oracledb that moved them): a ConfigError, never a guess', () => {
    for (const cs of ['tcps://db:1522/svc', '(DESCRIPTION=(ADDRESS=(PROTOCOL=TCPS)(HOST=h)(PORT=1)))', 'mydb_high']) {
      const err = caught(() => connectTransport(cs, undefined, tns));
      expect(err).toBeInstanceOf(ConfigError);
      expect(err).toMatchObject({ field: 'connectString', problem: expect.stringMatching(/lib\/thin\/sqlnet/), fix: expect.stringMatching(/node-oracledb 6\.4 or later/) });
    }
  });

  it('asks for tnsnames.ora only for an alias', () => {
    let asked = 0;
    const load = () => {
      asked++;
      return tns;
    };
    connectTransport('tcps://db:1522/svc', net, load);
    connectTransport('(DESCRIPTION=(ADDRESS=(PROTOCOL=TCPS)(HOST=h)(PORT=1)))', net, load);
    expect(asked).toBe(0);
    connectTransport('mydb_high', net, load);
    expect(asked).toBe(1);
  });

  it('shows an alias only when it is short and plain: a long one may be a secret pasted in the wrong place', () => {
    expect(connectTransport('mydb_low', net, tns)).toMatchObject({ kind: 'unknown', alias: 'mydb_low' });
    const t = connectTransport('eyJhbGciOiJSUzI1NiJ9.'.repeat(5), net, tns);
    expect(t.kind).toBe('unknown');
    expect(t).not.toHaveProperty('alias');
  });

  it.each<[string, string, RegExp]>([
    ['', 'connectString', /is empty/],
    ['(DESCRIPTION=(ADDRESS=(PROTOCOL=TCPS)(HOST=h)(PORT=1))', 'connectString', /node-oracledb refuses it \(NJS-514\)/],
    ['tcps://db:1522/svc?a="1', 'connectString', /node-oracledb cannot read it \(TypeError\)/],
    ['(DESCRIPTION=(CONNECT_DATA=(SERVICE_NAME=s)))', 'connectString', /names no ADDRESS/],
    ['(DESCRIPTION=(ADDRESS_LIST=(HOST=h)))', 'connectString', /ADDRESS_LIST holds something other than ADDRESS/],
    ['(DESCRIPTION_LIST=(ADDRESS=(PROTOCOL=TCPS)(HOST=h)(PORT=1)))', 'connectString', /DESCRIPTION_LIST holds something other than DESCRIPTION/],
    ['(DESCRIPTION=(FAILOVER=(X=1))(ADDRESS=(PROTOCOL=TCPS)(HOST=h)(PORT=1)))', 'connectString', /FAILOVER in a DESCRIPTION has no single value/],
    ['(CONNECT_DATA=(SERVICE_NAME=s))', 'connectString', /is not a DESCRIPTION_LIST, DESCRIPTION, ADDRESS_LIST or ADDRESS/],
    ['tcps://db:1522;/svc', 'connectString', /an ADDRESS_LIST is empty/],
    ['word', 'configDir', /line 9\): its value is neither a descriptor nor an Easy Connect string/],
  ])('%j is a ConfigError on %s', (cs, field, problem) => {
    const err = caught(() => connectTransport(cs, net, tns));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ field, problem: expect.stringMatching(problem), fix: expect.stringMatching(/TCPS|tcps/) });
  });

  it.each(HOSTILE.map((r) => [r.name, r] as const))('%s', (_n, row) => {
    const files = row.files?.(1522, '/cfg') ?? {};
    const read = (path: string) => {
      const name = path.replace(/^\/cfg\//, '');
      if (files[name] === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return files[name];
    };
    let accepted: boolean;
    try {
      accepted = connectTransport(row.connectString(1522), net, () => loadTnsNames(row.files ? '/cfg' : undefined, net, {}, read)).kind === 'tcps';
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      accepted = false;
    }
    expect(accepted).toBe(row.verdict === 'tls');
  });
});
