/**
 * dbtoken's reading of connect strings against node-oracledb's own parser
 * modules (lib/thin/sqlnet/*), without a network: the same trees, the same
 * Easy Connect expansions, the same tnsnames.ora aliases, and no string
 * passes the check that the driver would resolve to a non-TCPS address.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from 'dbtoken';
import { connectTransport, loadOracleNet, loadTnsNames } from '../../adapters/oracle-connect.js';
import { easyConnectDescriptor } from '../../adapters/oracle-net/easy-connect.js';
import { parseNvPair, type NvPair } from '../../adapters/oracle-net/nv-pair.js';
import { descriptorArb, easyConnectArb, mutate, tnsnamesArb } from '../helpers/oracle-arbitraries.js';
import { HOSTILE } from '../helpers/oracle-hostile.js';
import { tempDir } from '../helpers/temp.js';

const require = createRequire(import.meta.url);
const sqlnet = (m: string) => require(`oracledb/lib/thin/sqlnet/${m}`);
interface DriverPair {
  name: string;
  atom?: string | null;
  list?: DriverPair[] | null;
  rhsType: number;
}
const { createNVPair } = sqlnet('nvStrToNvPair.js') as { createNVPair: (s: string) => DriverPair };
const EZConnectResolver = sqlnet('ezConnectResolver.js') as new (s: string) => { getResolvedUrl(): string };
const { NLParamParser } = sqlnet('paramParser.js') as { NLParamParser: new () => { initializeNlpa(path: string): Promise<Map<string, DriverPair>> } };
const { resolveAddress } = sqlnet('networkSession.js') as {
  resolveAddress(cs: string, config: { configDir?: string }): Promise<{ descriptionList: { cOpts: { protocol?: string }[] }[] }>;
};

const net = (await loadOracleNet())!;
const PORT = 1522;
function tnsDir(text: string): string {
  const dir = tempDir('dbtoken-tns-');
  writeFileSync(join(dir, 'tnsnames.ora'), text);
  return dir;
}

/** A tree in one shape for both parsers: the driver's atom is set for an atom only. */
type Tree = { name: string; atom: string | undefined; children: Tree[] };
const fromDriver = (p: DriverPair): Tree => ({ name: p.name, atom: p.rhsType === 1 ? (p.atom ?? undefined) : undefined, children: (p.list ?? []).map(fromDriver) });
const fromOurs = (p: NvPair): Tree => ({ name: p.name, atom: p.atom, children: p.children.map(fromOurs) });

function attempt<T>(f: () => T): T | { failed: unknown } {
  try {
    return f();
  } catch (failed) {
    return { failed };
  }
}

const anyText = fc.string({ unit: 'binary-ascii', maxLength: 80 });
const nvText = fc.oneof(mutate(descriptorArb(PORT)), anyText.map((s) => `(${s}`), descriptorArb(PORT));

describe('the same reading as node-oracledb', () => {
  it('name-value strings: the same tree, or both refuse', () => {
    fc.assert(
      fc.property(nvText, (s) => {
        const driver = attempt(() => fromDriver(createNVPair(s)));
        const ours = parseNvPair(s, net);
        if ('failed' in driver) {
          expect('error' in ours, `driver refused, dbtoken read ${JSON.stringify(s)}`).toBe(true);
          return;
        }
        if ('error' in ours) {
          // Stricter than the driver only where its own reprint (for connect-string overrides) reads another tree.
          expect(ours.error).toMatch(/prints the descriptor back/);
          const again = attempt(() => fromDriver(createNVPair(String(createNVPair(s)))));
          expect(again).not.toEqual(driver);
          return;
        }
        expect(fromOurs(ours.pair)).toEqual(driver);
      }),
      { numRuns: 1500 },
    );
  });

  it('Easy Connect: the same descriptor, or both refuse', () => {
    fc.assert(
      fc.property(fc.oneof(easyConnectArb(PORT), mutate(easyConnectArb(PORT))), (s) => {
        const driver = attempt(() => new EZConnectResolver(s.trim()).getResolvedUrl());
        const ours = easyConnectDescriptor(s, net);
        if (typeof driver !== 'string') {
          expect(ours).toHaveProperty('error');
          return;
        }
        expect(ours).toEqual({ descriptor: driver });
      }),
      { numRuns: 1500 },
    );
  });

  it('tnsnames.ora: the same aliases with the same values (dbtoken keeps every definition; the driver the last)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(tnsnamesArb(PORT), mutate(tnsnamesArb(PORT))), async (text) => {
        const dir = tnsDir(text);
        const driver = await new NLParamParser().initializeNlpa(join(dir, 'tnsnames.ora')).then(
          (m) => new Map([...m].map(([k, v]) => [k, fromDriver(v).children] as const)),
          (failed: unknown) => ({ failed }),
        );
        const ours = attempt(() => loadTnsNames(dir, net, {}));
        rmSync(dir, { recursive: true, force: true });
        if ('failed' in driver) {
          expect(ours).toHaveProperty('failed');
          return;
        }
        if ('failed' in ours) {
          // Stricter than the driver only about IFILEs, nesting, and values its reprint reads otherwise.
          expect((ours.failed as Error).message).toMatch(/IFILE|deeper than|prints the descriptor back/);
          return;
        }
        const mine = new Map([...ours!.aliases].map(([k, defs]) => [k, fromOurs(defs.at(-1)!.value).children] as const));
        expect(mine).toEqual(driver);
      }),
      { numRuns: 150 },
    );
  });
});

describe('no string that passes the check resolves, in the driver, to an address that is not TCPS', () => {
  const protocolsOf = async (cs: string, configDir?: string) => {
    const strategy = await resolveAddress(cs, configDir === undefined ? {} : { configDir }).catch(() => undefined);
    return strategy?.descriptionList.flatMap((d) => d.cOpts.map((o) => o.protocol));
  };
  const judge = (cs: string, configDir?: string) => attempt(() => connectTransport(cs, net, () => loadTnsNames(configDir, net, {})));

  it('connect strings', async () => {
    let tcps = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(descriptorArb(PORT), easyConnectArb(PORT), mutate(descriptorArb(PORT)), mutate(easyConnectArb(PORT))), async (cs) => {
        const t = judge(cs);
        if ('failed' in t) {
          expect(t.failed).toBeInstanceOf(ConfigError);
          return;
        }
        if (t.kind !== 'tcps') return;
        tcps++;
        const protocols = await protocolsOf(cs);
        for (const p of protocols ?? []) expect(p?.toUpperCase(), cs).toBe('TCPS');
      }),
      // Seeded: the count of TCPS cases below is a property of the generated inputs, and a random draw put it at the bound once.
      { numRuns: 400, seed: 20_261_207 },
    );
    expect(tcps).toBeGreaterThan(40);
  });

  it('tnsnames.ora aliases', async () => {
    await fc.assert(
      fc.asyncProperty(tnsnamesArb(PORT), fc.constantFrom('db', 'DB', 'other'), async (text, alias) => {
        const dir = tnsDir(text);
        const t = judge(alias, dir);
        if ('failed' in t) {
          expect(t.failed).toBeInstanceOf(ConfigError);
          return;
        }
        if (t.kind !== 'tcps') return;
        const protocols = await protocolsOf(alias, dir);
        for (const p of protocols ?? []) expect(p?.toUpperCase(), text).toBe('TCPS');
      }),
      { numRuns: 100 },
    );
  });

  it.each(HOSTILE.filter((r) => !r.files).map((r) => [r.name, r] as const))('%s', async (_n, row) => {
    const cs = row.connectString(PORT);
    const t = judge(cs);
    const protocols = await protocolsOf(cs);
    const accepted = !('failed' in t) && t.kind === 'tcps';
    expect(accepted).toBe(row.verdict === 'tls');
    if (row.leaks) expect(protocols?.some((p) => p?.toUpperCase() !== 'TCPS')).toBe(true);
  });
});
