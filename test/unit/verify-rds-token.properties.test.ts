import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { awsRdsToken } from 'dbtoken/aws';
import { verifyRdsToken } from 'dbtoken/testing';
import { REGION, staticKeys } from '../helpers/aws.js';

// Property tests for the host check of verifyRdsToken: a host is the same
// host in any case of A-Z and in no other spelling, as in DNS and SigV4.

const RUNS = { numRuns: 150 };
const server = { port: 5432, username: 'iam_alice', region: REGION, credentials: [staticKeys] };

let signed = 0;
async function sign(hostname: string): Promise<string> {
  const p = awsRdsToken({ hostname, port: server.port, username: server.username, region: REGION, credentials: staticKeys }, { cacheKey: `verify-properties-${signed++}` });
  try {
    return (await p.getToken()).token;
  } finally {
    p.close();
  }
}

/** Lower-case ASCII host name text: labels of letters, digits and hyphens. */
const asciiText = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,15}$/);

/** `s` with each ASCII letter in a case of its own. */
const anyAsciiCase = (s: string): fc.Arbitrary<string> =>
  fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }).map((up) => [...s].map((c, i) => (up[i] ? c.toUpperCase() : c)).join(''));

/** An ASCII letter. */
const letter = fc.integer({ min: 0, max: 25 }).map((i) => String.fromCharCode(0x61 + i));

/**
 * A character that a careless comparison takes for ASCII text, and that
 * text: Unicode case folding (KELVIN SIGN lower-cases to k, LONG S
 * upper-cases to S), compatibility forms (fullwidth letters, ligatures) and
 * homoglyphs (Cyrillic and Greek letters).
 */
const lookalike: fc.Arbitrary<readonly [string, string]> = fc.oneof(
  fc.constantFrom(
    ['\u212A', 'k'] as const, // KELVIN SIGN
    ['\u0130', 'i'] as const, // LATIN CAPITAL LETTER I WITH DOT ABOVE
    ['\u0130', 'i\u0307'] as const, // ... and what toLowerCase() makes of it
    ['\u0131', 'i'] as const, // LATIN SMALL LETTER DOTLESS I
    ['\u017F', 's'] as const, // LATIN SMALL LETTER LONG S
    ['\u00DF', 'ss'] as const, // LATIN SMALL LETTER SHARP S
    ['\uFB00', 'ff'] as const,
    ['\uFB01', 'fi'] as const,
    ['\uFB02', 'fl'] as const,
    ['\uFB06', 'st'] as const,
    ['\u212B', '\u00E5'] as const, // ANGSTROM SIGN
    ['\u0430', 'a'] as const, // CYRILLIC SMALL LETTER A
    ['\u0435', 'e'] as const, // CYRILLIC SMALL LETTER IE
    ['\u043E', 'o'] as const, // CYRILLIC SMALL LETTER O
    ['\u0440', 'p'] as const, // CYRILLIC SMALL LETTER ER
    ['\u041A', '\u043A'] as const, // CYRILLIC CAPITAL and SMALL LETTER KA
    ['\u03A3', '\u03C3'] as const, // GREEK CAPITAL and SMALL LETTER SIGMA
    ['\u039F', 'o'] as const, // GREEK CAPITAL LETTER OMICRON
  ),
  letter.map((l) => [String.fromCharCode(l.charCodeAt(0) - 0x61 + 0xff21), l] as const), // FULLWIDTH capital
  letter.map((l) => [String.fromCharCode(l.charCodeAt(0) - 0x61 + 0xff41), l] as const), // FULLWIDTH small
  letter.map((l) => [String.fromCharCode(l.charCodeAt(0) - 0x61 + 0xff21), String.fromCharCode(l.charCodeAt(0) - 0x61 + 0xff41)] as const),
);

describe('verifyRdsToken: the host', () => {
  it('is the same host in any case of A-Z, whichever case the token was signed for', async () => {
    const pair = fc
      .tuple(asciiText, asciiText)
      .map(([a, b]) => `db${a}.${b}x`)
      .chain((host) => fc.tuple(anyAsciiCase(host), anyAsciiCase(host)));
    await fc.assert(
      fc.asyncProperty(pair, async ([signedFor, expected]) => {
        const verdict = verifyRdsToken(await sign(signedFor), { ...server, hostname: expected });
        expect(verdict).toMatchObject({ ok: true });
      }),
      RUNS,
    );
  });

  it('is another host when a lookalike stands in for a letter, in either host, whatever the case of the rest', async () => {
    const pair = fc.tuple(asciiText, lookalike, asciiText).chain(([before, [fake, real], after]) =>
      fc.tuple(anyAsciiCase(`db${before}`), anyAsciiCase(`${after}.x`), fc.boolean()).map(([b, a, swap]) => {
        const withFake = `${b}${fake}${a}`;
        const withReal = `${b}${real}${a}`;
        return swap ? ([withReal, withFake] as const) : ([withFake, withReal] as const);
      }),
    );
    await fc.assert(
      fc.asyncProperty(pair, async ([signedFor, expected]) => {
        const verdict = verifyRdsToken(await sign(signedFor), { ...server, hostname: expected });
        expect(verdict).toEqual({ ok: false, reason: 'token is for another host or port' });
      }),
      RUNS,
    );
  });
});
