/**
 * fast-check generators of Oracle connect strings and tnsnames.ora files,
 * every address at 127.0.0.1:port, biased towards TCPS so that many pass the
 * check and reach the driver, with the spellings a hostile string would use.
 */
import fc from 'fast-check';

const H = '127.0.0.1';

/** A keyword as the driver accepts it: any case, quoted, padded. */
const keyword = (w: string) => fc.constantFrom(w, w.toLowerCase(), `"${w}"`, `'${w.toLowerCase()}'`, ` ${w} `, `${w[0]}${w.slice(1).toLowerCase()}`);
const gap = fc.constantFrom('', '', '', ' ', '\n    ', '\t');

const tcpsValue = fc.constantFrom('TCPS', 'tcps', '"TCPS"', "'tcps'", '" tcps "', 'TcPs', 'tcp\u017f', ' TCPS ');
const otherValue = fc.constantFrom('TCP', 'tcp', '"tcp"', "'TCP'", '" TCP "', 'TC\\PS', 'IPC', '', '"TCPS', '(TCPS=1)', 'TCPS,TCP', 'TCPS ,');
const protocolValue = fc.oneof({ weight: 5, arbitrary: tcpsValue }, { weight: 1, arbitrary: otherValue });
const protocol = fc.tuple(keyword('PROTOCOL'), gap, protocolValue).map(([k, g, v]) => `(${k}=${g}${v})`);

/** Mostly absent: fc.option's nil comes 1 time in `freq`, the other way round. */
const rarely = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

const flag = fc.constantFrom('(FAILOVER=on)', '(LOAD_BALANCE=off)', '(LOAD_BALANCE=on)', '(SOURCE_ROUTE=off)', '(FAILOVER=yes)', '(FAILOVER)', '(FAILOVER=)');

function address(port: number): fc.Arbitrary<string> {
  return fc
    .record({
      name: keyword('ADDRESS'),
      protocol: fc.option(protocol, { freq: 10 }),
      nested: rarely(protocol.map((p) => `(X=${p})`)),
      second: rarely(protocol),
      hostFirst: fc.boolean(),
      g: gap,
    })
    .map(({ name, protocol: p, nested, second, hostFirst, g }) => {
      const host = `(HOST=${H})(PORT=${port})`;
      const proto = `${nested ?? ''}${p ?? ''}${second ?? ''}`;
      return `(${name}=${g}${hostFirst ? host + proto : proto + host})`;
    });
}

/** DESCRIPTION_LIST, DESCRIPTION, ADDRESS_LIST or ADDRESS, nested as the driver allows (and sometimes not). */
export function descriptorArb(port: number): fc.Arbitrary<string> {
  const { list } = fc.letrec<{ list: string; item: string }>((tie) => ({
    item: fc.oneof({ weight: 4, arbitrary: address(port) }, { weight: 1, arbitrary: tie('list') }),
    list: fc
      .tuple(keyword('ADDRESS_LIST'), fc.array(tie('item'), { minLength: 1, maxLength: 3 }), rarely(flag))
      .map(([k, items, f]) => `(${k}=${items.join('')}${f ?? ''})`),
  }));
  const connectData = fc.constantFrom(
    '(CONNECT_DATA=(SERVICE_NAME=svc))',
    '(CONNECT_DATA=(SERVICE_NAME=svc)(PROTOCOL=TCPS))',
    '(CONNECT_DATA=(SERVICE_NAME=svc)(PROTOCOL=TCP))',
    '(CONNECT_DATA=(SERVICE_NAME="s)"))',
    '',
  );
  const security = fc.constantFrom('', '(SECURITY=(SSL_SERVER_DN_MATCH=no))', '(SECURITY=(ADDRESS=(PROTOCOL=TCP)(HOST=x)))');
  const description = fc
    .tuple(keyword('DESCRIPTION'), rarely(flag), fc.array(fc.oneof({ weight: 3, arbitrary: address(port) }, { weight: 1, arbitrary: list }), { minLength: 1, maxLength: 3 }), connectData, security, gap)
    .map(([k, f, items, cd, sec, g]) => `(${k}=${g}${f ?? ''}${items.join(g)}${cd}${sec})`);
  const descriptionList = fc
    .tuple(keyword('DESCRIPTION_LIST'), fc.array(description, { minLength: 1, maxLength: 2 }), rarely(flag))
    .map(([k, ds, f]) => `(${k}=${ds.join('')}${f ?? ''})`);
  return fc.oneof({ weight: 8, arbitrary: description }, { weight: 3, arbitrary: descriptionList }, { weight: 1, arbitrary: list }, { weight: 1, arbitrary: address(port) });
}

/** Easy Connect strings, some with `?` values that paste an ADDRESS into the expansion. */
export function easyConnectArb(port: number): fc.Arbitrary<string> {
  const scheme = fc.constantFrom('tcps://', 'tcps://', 'TCPS://', 'TcPs://', ' t c p s :// ', 'tcp://', '//', '', 'ipc://', 'tcps:/', 'tcps:');
  const host = fc.constantFrom(H, H, 'localhost', `[${H}]`, 'h');
  const hostPort = fc.tuple(host, fc.constantFrom(`:${port}`, `:${port}`, `:${port}`, `:${port}`, ':', '')).map(([h, p]) => h + p);
  const hosts = fc.array(fc.tuple(hostPort, fc.constantFrom(',', ';', ',,')), { minLength: 1, maxLength: 3 }).map((hs) => hs.map(([h, sep], i) => (i < hs.length - 1 ? h + sep : h)).join(''));
  const tail = fc.constantFrom('/svc', '/svc.example.com', '', '/', '/svc:dedicated', '/svc:POOLED/inst1', ':pooled', '/svc/');
  const inject = `(ADDRESS=(PROTOCOL=TCP)(HOST=${H})(PORT=${port})`;
  const param = fc.constantFrom(
    'retry_count=0',
    'connect_timeout=3',
    'ssl_server_dn_match=on',
    'ssl_server_cert_dn="CN=db,O=Oracle"',
    'wallet_location=/tmp/no-wallet',
    `https_proxy=${H}&https_proxy_port=1`,
    'pool_purity=self',
    'unknown_key=1',
    `retry_count="0)${inject}"`,
    `https_proxy="${H}))${inject}"&https_proxy_port=1`,
    `pool_purity="x))${inject}"`,
    `ssl_server_dn_match="on))${inject}"`,
    'retry_count="0',
    'retry_count=1=2',
    '&',
    "service_tag='x'",
    'pool_boundary=x\\',
  );
  const params = fc.array(param, { maxLength: 3 }).map((ps) => (ps.length === 0 ? '' : `?${ps.join('&')}`));
  return fc.tuple(scheme, hosts, tail, params).map(([s, h, t, p]) => s + h + t + p);
}

/** A tnsnames.ora text defining `db` (once or twice) among other entries, laid out as people write them. */
export function tnsnamesArb(port: number): fc.Arbitrary<string> {
  const value = fc.oneof({ weight: 4, arbitrary: descriptorArb(port) }, { weight: 1, arbitrary: easyConnectArb(port).filter((s) => !/[()#]/.test(s) && !s.startsWith(' ')) });
  const layout = fc.constantFrom('one line', 'indented', 'comment after');
  const entry = (names: fc.Arbitrary<string>) =>
    fc.tuple(names, value, layout).map(([n, v, l]) => {
      if (l === 'one line') return `${n} = ${v}`;
      // Continuation lines must start with a space, a tab or a parenthesis.
      if (l === 'indented') return `${n} =\n  ${v.replace(/\)\(/g, ')\n    (').replace(/\n(?![ \t()])/g, '\n  ')}`;
      return `${n} = ${v.replace(/\n/g, ' ')} # the ${n} entry`;
    });
  const names = fc.constantFrom('db', 'DB', 'db, other', 'other,db', "'db'");
  return fc
    .tuple(fc.array(entry(fc.constantFrom('other', 'x_low')), { maxLength: 2 }), entry(names), rarely(entry(names)), fc.constantFrom('', '# header\n', '\uFEFF# header\n'))
    .map(([before, first, second, head]) => `${head}${[...before, first, ...(second ? [second] : [])].join('\n')}\n`);
}

/** Hostile edits: a character from the driver's syntax inserted, or one removed. */
export function mutate(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(base, fc.array(fc.tuple(fc.nat(), fc.constantFrom('(', ')', '=', ',', '"', "'", '\\', '#', ' ', '\n', '\r', '\t', '\u00a0', '?', '&', ':', '/', ';', 'del')), { maxLength: 3 }))
    .map(([s, edits]) => {
      let out = s;
      for (const [at, c] of edits) {
        const i = out.length === 0 ? 0 : at % out.length;
        out = c === 'del' ? out.slice(0, i) + out.slice(i + 1) : out.slice(0, i) + c + out.slice(i);
      }
      return out;
    });
}
