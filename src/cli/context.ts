import type { DbToken } from '../core/token.js';
import type { TokenLogger, TokenProvider } from '../core/provider.js';
import type { TokenKindShown } from './explain.js';
import { redact, SecretSet } from './redact.js';

/** Where a command's output goes. Tests and the real process differ only here. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly env: NodeJS.ProcessEnv;
}

/** The real process's streams and environment. */
export const processIo: Io = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  env: process.env,
};

/** What a command runs with. Everything it writes to stderr passes through {@link redact}. */
export class Context {
  readonly secrets = new SecretSet();
  /** The kind of token the command uses, once known: failure explanations depend on it. */
  token: TokenKindShown | undefined;
  /** The last error a tracked provider's getToken() threw: drivers may wrap it and drop the cause (oracledb's NJS-168). */
  tokenError: unknown;

  constructor(
    readonly io: Io,
    readonly debug: boolean,
  ) {
    // Credentials the SDKs read from the environment are secrets too.
    this.secrets.add(
      io.env.AWS_SECRET_ACCESS_KEY,
      io.env.AWS_SESSION_TOKEN,
      io.env.OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE,
      // These hold the token and key themselves, or the paths of files that do; paths stay readable.
      ...[io.env.OCI_RESOURCE_PRINCIPAL_RPST, io.env.OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM].filter((v) => v !== undefined && !v.startsWith('/')),
      // @azure/identity's EnvironmentCredential, and the managed-identity endpoints' shared secrets.
      io.env.AZURE_CLIENT_SECRET,
      io.env.AZURE_PASSWORD,
      io.env.AZURE_CLIENT_CERTIFICATE_PASSWORD,
      io.env.IDENTITY_HEADER,
      io.env.MSI_SECRET,
    );
  }

  /** A line of data on stdout. */
  print(line: string): void {
    this.io.stdout(`${line}\n`);
  }

  /** A line on stderr, with secrets removed. */
  error(line: string): void {
    this.io.stderr(`${redact(line, this.secrets)}\n`);
  }

  /** A `debug:` line on stderr when `--debug` is on. */
  log(line: string): void {
    if (this.debug) this.error(`debug: ${line}`);
  }

  /** The providers' logger: their debug and warning lines under `--debug`. */
  get logger(): TokenLogger | undefined {
    if (!this.debug) return undefined;
    return { debug: (m) => this.log(m), warn: (m) => this.log(m) };
  }

  /**
   * `provider`, remembering every token and key it hands out so that they
   * can be redacted. Its `target` and its symbol-keyed internals (a user
   * still to be read from the first token, a connection lifetime) are read
   * through from `provider`, so that pools see them as they change.
   */
  track(provider: TokenProvider): TokenProvider {
    const remember = (t: DbToken): DbToken => {
      this.secrets.add(t.token, t.privateKey);
      return t;
    };
    const fail = (err: unknown): never => {
      this.tokenError = err;
      throw err;
    };
    const tracked: TokenProvider = { ...provider, getToken: (opts) => provider.getToken(opts).then(remember, fail) };
    Object.defineProperty(tracked, 'target', { get: () => provider.target, enumerable: true, configurable: true });
    for (const key of Object.getOwnPropertySymbols(provider)) {
      Object.defineProperty(tracked, key, { get: () => (provider as unknown as Record<symbol, unknown>)[key], configurable: true });
    }
    return tracked;
  }
}
