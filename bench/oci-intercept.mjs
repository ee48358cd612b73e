// extensionOci takes its endpoint from the config profile's region
// (https://auth.<region>.oraclecloud.com) and has no override. oci-common sends
// every request through the global fetch(); this wraps it to forward
// auth.*.oraclecloud.com requests, byte for byte and with the signed Host
// header, to the emulator. The plugin itself stays as shipped.
import { request } from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * node-oracledb's extensionOci plugin, loaded as shipped. It registers a hook
 * that turns `tokenAuthConfigOci` into an `accessToken` callback; catching the
 * hook gives that callback. Returns `{ accessToken, config }`.
 */
export function loadExtensionOci(config) {
  const oracledb = require('oracledb');
  let hook;
  const register = oracledb.registerProcessConfigurationHook;
  oracledb.registerProcessConfigurationHook = (fn) => {
    hook = fn;
    return register.call(oracledb, fn);
  };
  try {
    require('oracledb/plugins/token/extensionOci');
  } finally {
    oracledb.registerProcessConfigurationHook = register;
  }
  const options = { tokenAuthConfigOci: config };
  hook(options);
  return { accessToken: options.accessToken, config: options.accessTokenConfig };
}

/** Wraps the global fetch so that requests to auth.*.oraclecloud.com reach the emulator unchanged. */
export function interceptOciAuth(emulatorUrl) {
  const target = new URL(emulatorUrl);
  const original = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const req = input instanceof Request ? input : new Request(input, init);
    const url = new URL(req.url);
    if (!/^auth\.[a-z0-9-]+\.oraclecloud\.com$/.test(url.hostname)) return original(input, init);
    const body = Buffer.from(await req.arrayBuffer());
    const headers = Object.fromEntries(req.headers);
    headers.host = url.host; // as signed
    return new Promise((resolve, reject) => {
      const r = request({ host: target.hostname, port: target.port, method: req.method, path: url.pathname + url.search, headers }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode, headers: res.headers })));
      });
      r.on('error', reject);
      r.end(body);
    });
  };
  return () => (globalThis.fetch = original);
}

