import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from 'dbtoken';
import { heatwaveOciToken, ociDbToken } from 'dbtoken/oci';
import { explainFailure } from '../../src/cli/explain.js';
import { keyShown, nodeSdkRefusedLine, OCI_CONFIG_KEYS, parseOciConfig, resolveOciProfile } from '../../src/sources/oci/config-file.js';
import { withoutQuotedLine } from '../../src/sources/oci/worker-body.js';
import { render } from '../helpers/canary.js';
import { rsaKeys, tempDir } from '../helpers/oci-files.js';

// A secret pasted into an OCI config file, wherever it lands, never reaches
// a message: errors name the file and line, and quote only documented keys.

const require = createRequire(import.meta.url);
const keys = rsaKeys();
const encrypted = keys.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'right' }).toString();

/** A secret-looking value of the shape a user may paste: short, plain, so that no length rule hides it. */
const canary = (): string => `CANARY-TOKEN-${randomBytes(6).toString('hex')}-SECRET`;

/** Everything a user could see of what `fn` threw, or '' when it did not throw. */
function seen(fn: () => unknown): { thrown: boolean; text: string } {
  try {
    fn();
    return { thrown: false, text: '' };
  } catch (err) {
    const cli = explainFailure(err, { command: 'dbtoken token oci' }).message;
    return { thrown: true, text: `${render(err)}\n${cli}` };
  }
}

interface Case {
  name: string;
  /** The config file's text, with `$C` where the canary goes; `$D` is the folder. */
  config: string;
  /** Other files in the folder: name to content (`$C` replaced too). */
  files?: Record<string, string>;
}

const good = `fingerprint=${keys.fingerprint}\nkey_file=$D/key.pem\nuser=ocid1.user.oc1..aaaaalice\ntenancy=ocid1.tenancy.oc1..aaaatenancy\nregion=us-ashburn-1`;
const KEY = { 'key.pem': keys.privatePem };

const CASES: Case[] = [
  // Lines before any header.
  { name: 'a bare line before any header', config: `$C\n[DEFAULT]\n${good}` },
  { name: 'a pasted base64 token (ends in =) before any header', config: `$C==\n[DEFAULT]\n${good}` },
  { name: 'the canary as a key before any header', config: `$C = 1\n[DEFAULT]\n${good}` },
  { name: 'the canary as a value before any header', config: `user = $C\n[DEFAULT]\n${good}` },
  { name: 'an undocumented key with the canary before any header', config: `token = $C\n[DEFAULT]\n${good}` },
  // Inside a profile.
  { name: 'a bare line in a profile', config: `[DEFAULT]\n${good}\n$C` },
  { name: 'the canary as a key set twice', config: `[DEFAULT]\n${good}\n$C=1\n$C=2` },
  { name: 'a documented key set twice to the canary', config: `[DEFAULT]\n${good}\nuser=$C` },
  { name: 'the canary as a key with no value, twice', config: `[DEFAULT]\n${good}\n$C=\n$C=` },
  { name: 'an = line', config: `[DEFAULT]\n${good}\n=$C` },
  // Headers.
  { name: 'an unterminated header', config: `[$C\n${good}` },
  { name: 'a header with a stray ]', config: `[DEFAULT]$C]\n${good}` },
  { name: 'an empty header followed by the canary', config: `[]$C\n${good}` },
  // Comments: fine for the parser, refused for the Node SDK's reader (a ; comment).
  { name: 'a # comment', config: `# $C\n[DEFAULT]\n${good}` },
  { name: 'a ; comment', config: `; $C\n[DEFAULT]\n${good}` },
  { name: 'a byte order mark, then the canary as a key', config: `\uFEFF$C=1\n[DEFAULT]\n${good}` },
  // Values of the documented keys.
  { name: 'key_file naming the canary', config: `[DEFAULT]\nfingerprint=${keys.fingerprint}\nkey_file=$D/$C\nuser=u\ntenancy=t` },
  { name: 'key_file naming a directory named by the canary', config: `[DEFAULT]\nfingerprint=${keys.fingerprint}\nkey_file=$D/$C/\nuser=u\ntenancy=t` },
  { name: 'fingerprint set to the canary', config: `[DEFAULT]\nfingerprint=$C\nkey_file=$D/key.pem`, files: KEY },
  { name: 'pass_phrase set to the canary for an encrypted key', config: `[DEFAULT]\nfingerprint=${keys.fingerprint}\nkey_file=$D/enc.pem\npass_phrase=$C`, files: { 'enc.pem': encrypted } },
  { name: 'security_token_file naming the canary', config: `[DEFAULT]\nfingerprint=${keys.fingerprint}\nkey_file=$D/key.pem\nsecurity_token_file=$D/$C`, files: KEY },
  { name: 'user, tenancy and region set to the canary', config: `[DEFAULT]\nfingerprint=${keys.fingerprint}\nkey_file=$D/key.pem\nuser=$C\ntenancy=$C\nregion=$C\nsecurity_token_file=$D/none`, files: KEY },
  { name: 'an undocumented key holding the canary, and no key_file', config: `[DEFAULT]\nfingerprint=${keys.fingerprint}\ntoken=$C` },
  // Files the profile names.
  { name: 'a key file holding the canary', config: `[DEFAULT]\nfingerprint=${keys.fingerprint}\nkey_file=$D/key.pem`, files: { 'key.pem': '$C' } },
  { name: 'a key file holding the canary as a PEM', config: `[DEFAULT]\nfingerprint=${keys.fingerprint}\nkey_file=$D/key.pem`, files: { 'key.pem': '-----BEGIN PRIVATE KEY-----\n$C\n-----END PRIVATE KEY-----\n' } },
  { name: 'a token file holding the canary', config: `[DEFAULT]\nfingerprint=${keys.fingerprint}\nkey_file=$D/key.pem\nsecurity_token_file=$D/token`, files: { ...KEY, token: '$C' } },
  { name: 'a token file holding the canary as a JWT', config: `[DEFAULT]\nfingerprint=${keys.fingerprint}\nkey_file=$D/key.pem\nsecurity_token_file=$D/token`, files: { ...KEY, token: '$C.$C.$C' } },
];

/** Writes a case with a fresh canary; returns the config file and the canary. */
function write(c: Case): { configFile: string; secret: string } {
  const secret = canary();
  const dir = tempDir();
  const fill = (s: string): string => s.replaceAll('$C', secret).replaceAll('$D', dir);
  for (const [name, content] of Object.entries(c.files ?? {})) writeFileSync(join(dir, name), fill(content), { mode: 0o600 });
  const configFile = join(dir, 'config');
  writeFileSync(configFile, fill(c.config));
  return { configFile, secret };
}

describe('OCI config files: no error shows a secret pasted anywhere in them', () => {
  it('every case makes at least one reader refuse the file (the cases test what they mean to)', () => {
    for (const c of CASES) {
      const { configFile } = write(c);
      const refused = [
        seen(() => heatwaveOciToken({ configFile }).close()),
        seen(() => ociDbToken({ scope: 'urn:oracle:db::id::*', auth: { type: 'api_key', configFile } }).close()),
        seen(() => ociDbToken({ scope: 'urn:oracle:db::id::*', auth: { type: 'security_token', configFile } }).close()),
      ].some((s) => s.thrown);
      expect(refused, c.name).toBe(true);
    }
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { configFile, secret } = write(c);
    const outcomes = [
      seen(() => resolveOciProfile(parseOciConfig(readFileSync(configFile, 'utf8'), configFile), 'DEFAULT', configFile)),
      seen(() => heatwaveOciToken({ configFile }).close()),
      seen(() => ociDbToken({ scope: 'urn:oracle:db::id::*', auth: { type: 'api_key', configFile } }).close()),
      seen(() => ociDbToken({ scope: 'urn:oracle:db::id::*', auth: { type: 'security_token', configFile } }).close()),
    ];
    for (const o of outcomes) {
      expect(o.text.includes(secret), o.text).toBe(false);
      expect(o.text.includes('CANARY'), o.text).toBe(false);
    }
    // Every refusal names the file (and, where a line is at fault, its number).
    for (const o of outcomes.filter((x) => x.thrown)) expect(o.text).toContain(configFile);
  });
});

describe('ociDbToken: a config file the OCI SDK cannot read at fetch time', () => {
  it.each([
    ['a ; comment', '; $C'],
    ['a line before any profile', '$C=1'],
    ['a line with no =', '$C'],
  ])('%s written after creation: the fetch fails, and nothing shows the line', async (_name, line) => {
    const secret = canary();
    const dir = tempDir();
    writeFileSync(join(dir, 'key.pem'), keys.privatePem, { mode: 0o600 });
    const configFile = join(dir, 'config');
    const profile = `[DEFAULT]\n${good.replaceAll('$D', dir)}\n`;
    writeFileSync(configFile, profile);
    const token = ociDbToken({ scope: 'urn:oracle:db::id::*', auth: { type: 'api_key', configFile }, endpoint: 'http://127.0.0.1:9' }, { retry: { attempts: 1 } });
    try {
      // Changed between the check at creation and the SDK's own read in its worker.
      writeFileSync(configFile, line.startsWith('$C=') ? `${line.replace('$C', secret)}\n${profile}` : `${profile}${line.replace('$C', secret)}\n`);
      const err = await token.getToken().then(() => undefined, (e: unknown) => e);
      expect(err).toBeDefined();
      const text = `${render(err)}\n${explainFailure(err, { command: 'dbtoken token oci' }).message}`;
      expect(text.includes(secret), text).toBe(false);
      expect(text).toContain(`the OCI SDK cannot read ${configFile}`);
    } finally {
      token.close();
    }
  });
});

describe('keyShown', () => {
  it.each([...OCI_CONFIG_KEYS].map((k) => [k, `"${k}"`]).concat([
    ['CANARY-TOKEN-0-SECRET', 'a key'],
    ['token', 'a key'],
    ['User', 'a key'],
    ['user ', 'a key'],
    ['', 'a key'],
  ]))('%s -> %s', (key, out) => {
    expect(keyShown(key!)).toBe(out);
  });

  it('documents the entries of the OCI SDK and CLI configuration file', () => {
    for (const k of ['user', 'fingerprint', 'key_file', 'pass_phrase', 'tenancy', 'region', 'security_token_file']) expect(OCI_CONFIG_KEYS.has(k)).toBe(true);
  });
});

describe('nodeSdkRefusedLine', () => {
  it.each([
    ['[DEFAULT]\nuser=u\n', undefined],
    ['# c\n[DEFAULT]\n', undefined],
    ['; c\n[DEFAULT]\n', 1],
    ['[DEFAULT]\nuser=u\n   ; c\n', 3],
    ['\uFEFF[DEFAULT]\n', 1],
    ['[DEFAULT]\nuser=u;v\n', undefined],
  ])('%j -> line %s', (text, line) => {
    expect(nodeSdkRefusedLine(text)?.line).toBe(line);
  });
});

describe('the OCI SDK worker: the SDK config reader\'s errors lose the line they quote', () => {
  const { ConfigFileReader } = require('oci-common') as { ConfigFileReader: { parse(text: string, profile: string | null): unknown } };

  it.each([
    ['a line with no =', '[DEFAULT]\n$C\n'],
    ['a line with no key', '[DEFAULT]\n=$C\n'],
    ['a line before any profile', 'user=$C\n[DEFAULT]\n'],
    ['a ; comment', '; $C\n[DEFAULT]\n'],
    ['a byte order mark', '\uFEFF$C=1\n[DEFAULT]\n'],
  ])('%s', (_name, text) => {
    const secret = canary();
    let sdkError: unknown;
    try {
      ConfigFileReader.parse(text.replaceAll('$C', secret), 'DEFAULT');
    } catch (err) {
      sdkError = err;
    }
    // The SDK itself quotes the line: that is what the worker must not pass on.
    expect(String((sdkError as Error).message)).toContain(secret);
    const out = withoutQuotedLine(sdkError, '/home/u/.oci/config') as Error;
    expect(out).not.toBe(sdkError);
    expect(out.message).toMatch(/^the OCI SDK cannot read \/home\/u\/\.oci\/config: .* \(the line is not shown\)$/);
    expect(render(out)).not.toContain(secret);
  });

  it('any other error passes as it is', () => {
    const err = new Error('No profile named X exists in the configuration file.');
    expect(withoutQuotedLine(err, '/f')).toBe(err);
    expect(withoutQuotedLine('text', '/f')).toBe('text');
    expect(withoutQuotedLine(null, '/f')).toBe(null);
  });
});

describe('ConfigError wording stays useful', () => {
  it('a documented key is still named, a profile name still shown', () => {
    expect(() => parseOciConfig('user=x\n[A]\n', '/f')).toThrow('/f:1: "user" comes before any [PROFILE] header');
    expect(() => parseOciConfig('[A]\ntoken=1\ntoken=2\n', '/f')).toThrow('/f:3: a key is set twice in one profile (first at line 2)');
    expect(() => parseOciConfig('[prod]\n[prod]\n', '/f')).toThrow('/f:2: profile [prod] is defined twice (first at line 1)');
    expect(() => resolveOciProfile(parseOciConfig('[prod]\n', '/f'), 'dev', '/f')).toThrow(ConfigError);
  });
});
