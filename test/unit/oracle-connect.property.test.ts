/**
 * Property tests for connect strings and tnsnames.ora: whatever the input,
 * only the documented typed error (ConfigError), no hang on large hostile
 * input, and no token or key text in any message.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from 'dbtoken';
import { connectTransport, loadOracleNet, loadTnsNames, parseTnsNames } from '../../adapters/oracle-connect.js';
import { easyConnectDescriptor } from '../../adapters/oracle-net/easy-connect.js';
import { parseNvPair } from '../../adapters/oracle-net/nv-pair.js';
import { descriptorArb, easyConnectArb, mutate, tnsnamesArb } from '../helpers/oracle-arbitraries.js';

const net = (await loadOracleNet())!;
const TOKEN = `eyJhbGciOiJSUzI1NiIsImtpZCI6ImNhbmFyeSJ9.eyJzdWIiOiJjYW5hcnkiLCJleHAiOjQxMDI0NDQ4MDB9.${'Q0FOQVJZc2lnbmF0dXJl'.repeat(6)}`;
const KEY = `-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC${'canaryKEYmaterial0123456789+/'.repeat(4)}\n-----END PRIVATE KEY-----\n`;
const SECRETS = [TOKEN, KEY];

/** Any 12 characters of a secret in a message count as a leak (an alias is shown only up to 64 plain characters). */
function leaks(text: string): boolean {
  if (/PRIVATE KEY/.test(text)) return true;
  return SECRETS.some((s) => {
    for (let i = 0; i + 12 <= s.length; i++) if (text.includes(s.slice(i, i + 12))) return true;
    return false;
  });
}

function messagesOf(e: unknown): string[] {
  const out: string[] = [];
  for (let c: unknown = e; c instanceof Error && out.length < 8; c = c.cause) {
    out.push(c.message, ...(c instanceof ConfigError ? [c.field, c.problem, c.fix] : []));
  }
  return out;
}

const withSecret = (arb: fc.Arbitrary<string>) =>
  fc.tuple(arb, fc.constantFrom(...SECRETS), fc.nat()).map(([s, secret, at]) => {
    const i = at % (s.length + 1);
    return s.slice(0, i) + secret + s.slice(i);
  });

const syntax = fc.constantFrom('(', ')', '=', ',', '"', "'", '\\', '#', ' ', '\n', '\t', 'A', 'tcps', 'TCP', 'PROTOCOL', 'ADDRESS', ':', '/', '//', '?', '&', '[', ']', ';', 'ſ', '\u{1F600}', 'IFILE', '\r');
const connectStrings = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: syntax, maxLength: 120 }),
  mutate(descriptorArb(1522)),
  mutate(easyConnectArb(1522)),
  withSecret(descriptorArb(1522)),
  withSecret(easyConnectArb(1522)),
  fc.constantFrom('db', 'DB', 'other', TOKEN, `tcps://db:1522/${TOKEN}`, `(DESCRIPTION=(ADDRESS=(PROTOCOL=${TOKEN})(HOST=h)(PORT=1)))`),
);
const tnsTexts = fc.oneof(
  tnsnamesArb(1522),
  mutate(tnsnamesArb(1522)),
  withSecret(tnsnamesArb(1522)),
  fc.string({ unit: syntax, maxLength: 200 }),
  fc.constantFrom(`db = ${TOKEN}\n`, `IFILE = ${TOKEN}\n`, `IFILE = /x/${TOKEN}.ora\n`, `db = (DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=${TOKEN})))\n`, `${TOKEN} = (A=1)\n`),
);

/** tnsnames.ora at /cfg, and an included /inc/more.ora with the same generator's output. */
const reader = (top: string, more: string) => (path: string) => {
  if (path === '/cfg/tnsnames.ora') return `${top}\nIFILE = /inc/more.ora\n`;
  if (path === '/inc/more.ora') return more;
  throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
};

describe('connect strings and tnsnames.ora: typed errors only, nothing secret in them', () => {
  it('connectTransport returns a verdict or throws a ConfigError, and no message or reason quotes a secret', () => {
    fc.assert(
      fc.property(connectStrings, tnsTexts, tnsTexts, (cs, top, more) => {
        let texts: string[];
        try {
          const t = connectTransport(cs, net, () => loadTnsNames('/cfg', net, {}, reader(top, more)));
          expect(['tcps', 'tcp', 'unknown']).toContain(t.kind);
          texts = t.kind === 'tcps' ? [] : [t.why, ...(t.kind === 'unknown' && t.alias !== undefined ? [t.alias] : [])];
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
          expect((e as ConfigError).field).toMatch(/^(connectString|configDir)$/);
          expect((e as ConfigError).fix).not.toBe('');
          texts = messagesOf(e);
        }
        for (const text of texts) expect(leaks(text), text).toBe(false);
      }),
      { numRuns: 1500 },
    );
  });

  it('parseTnsNames, parseNvPair and easyConnectDescriptor never throw: they return what they read or why not', () => {
    fc.assert(
      fc.property(fc.oneof(tnsTexts, connectStrings), (text) => {
        const results = [parseTnsNames(text, net), parseNvPair(text, net), easyConnectDescriptor(text, net)];
        for (const r of results) if ('error' in r) expect(leaks(r.error), r.error).toBe(false);
      }),
      { numRuns: 1500 },
    );
  });
});

describe('no hang: large hostile input is read in bounded time', () => {
  // Each piece repeated until the input is hundreds of kilobytes: a quadratic
  // (or backtracking) reader would not finish within the test's timeout. The
  // driver's Easy Connect resolver is quadratic in the ?parameters, so
  // longer Easy Connect strings are refused before it runs.
  const pieces = fc.constantFrom(
    '(', ')', '(A=', '(A=(B=1)', '[', '[:', '[a]', 'ab,', 'ab:1;', 'ab:', ':', '/', '"', "'", '\\', '#', '?', 'a=b&', '="', ' ', '\n ',
    'tcps://', 'ab,ab:1,', '(ADDRESS=(PROTOCOL=TCPS)(HOST=h)(PORT=1))', 'IFILE=/a\n', 'db = (A=\n', 'a,', '=', '\u00a0', 'x\r',
  );
  const prefixes = fc.constantFrom('', 'tcps://', '//', '(DESCRIPTION=', '(DESCRIPTION=(ADDRESS_LIST=', 'db = ', 'tcps://ab:1/s?');
  it('connect strings, Easy Connect and tnsnames.ora of up to ~1 MB', () => {
    fc.assert(
      fc.property(prefixes, fc.array(pieces, { minLength: 1, maxLength: 3 }), fc.integer({ min: 2_000, max: 40_000 }), (prefix, parts, n) => {
        const text = prefix + parts.join('').repeat(n);
        parseNvPair(text, net);
        easyConnectDescriptor(text, net);
        parseTnsNames(text, net);
        try {
          connectTransport(text, net, () => loadTnsNames('/cfg', net, {}, () => text));
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
        }
      }),
      { numRuns: 40 },
    );
  });
  it('Easy Connect strings of up to 2,048 characters, all ?parameters (the resolver\'s slowest case), are read; longer ones are refused unread', () => {
    const params = Array.from({ length: 400 }, (_, i) => `k${i}=v`).join('&');
    const cs = `tcps://ab:1522/svc?${params}`.slice(0, 2048).replace(/&[^&]*$/, '');
    expect(cs.length).toBeGreaterThan(2000);
    expect(connectTransport(cs, net)).toMatchObject({ kind: 'tcps' });
    expect(connectTransport(`tcps://ab:1522/svc?${'a=b&'.repeat(506)}a=b`, net)).toMatchObject({ kind: 'tcps' });
    expect(easyConnectDescriptor(`tcps://ab:1522/svc?${params}`, net)).toEqual({ error: expect.stringMatching(/longer than 2048 characters/) });
  });
});
