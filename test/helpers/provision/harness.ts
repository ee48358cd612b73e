import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from 'dbtoken';
import { anyValue, embeddedSecret, expectNoSecret, longString, typedOutcome } from '../hostile.js';

/**
 * The property harness for dbtoken/provision's builders: for any options a
 * JavaScript caller can pass, a builder returns statements of its documented
 * form or throws a ConfigError naming the option; long input stays fast (the
 * test timeout is the bound); no message shows a token or key passed by
 * mistake. test/unit/provision.properties.test.ts runs it over every builder.
 */

/** One builder's property spec. */
export interface BuilderSpec {
  name: string;
  build: (o: unknown) => unknown;
  options: fc.Arbitrary<unknown>;
  /** Fields a ConfigError may name. */
  fields: RegExp;
  /** Checks an accepted output against the options that made it. */
  check: (out: any, o: any) => void;
  /** Valid options, and the paths in them that hold text (where a secret is put by mistake). */
  valid: Record<string, unknown>;
  texts: string[];
}

export const RUNS = { numRuns: 400 };

/** Options: each key valid, hostile or missing; now and then not options at all. */
export function options(shape: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 9, arbitrary: fc.record(shape, { requiredKeys: [] }) }, { weight: 1, arbitrary: anyValue });
}

/** `valid` with the text at a dotted `path` (`grants.0.on`) replaced. */
export function withText(valid: Record<string, unknown>, path: string, text: string): Record<string, unknown> {
  const copy = structuredClone(valid);
  const keys = path.split('.');
  let at: any = copy;
  for (const k of keys.slice(0, -1)) at = at[k];
  at[keys.at(-1)!] = text;
  return copy;
}

/** Runs `fn`, expects a ConfigError, returns it. */
export function refusal(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError, but the builder accepted the input');
}

/** The four properties, for each builder. */
export function describeBuilderProperties(specs: BuilderSpec[]): void {
  describe.each(specs)('$name', (b) => {
    it('returns its documented form or throws a ConfigError naming the option, for any options', () => {
      fc.assert(
        fc.property(b.options, (o) => {
          const out = typedOutcome(() => b.build(o), b.fields);
          if ('value' in out) b.check(out.value, o);
        }),
        RUNS,
      );
    });

    it('stays fast on long input in every text option (the test timeout is the bound)', () => {
      fc.assert(
        fc.property(fc.constantFrom(...b.texts), longString, (path, text) => {
          typedOutcome(() => b.build(withText(b.valid, path, text)), b.fields);
        }),
        { numRuns: 60 },
      );
    });

    it('never shows a token or key put in a text option by mistake', () => {
      fc.assert(
        fc.property(fc.constantFrom(...b.texts), embeddedSecret, (path, s) => {
          expectNoSecret(typedOutcome(() => b.build(withText(b.valid, path, s.text)), b.fields), s.secret);
        }),
        RUNS,
      );
    });

    it('valid options build', () => {
      expect(typedOutcome(() => b.build(b.valid), b.fields)).toHaveProperty('value');
    });
  });
}
