// One event-loop stall measurement in a fresh process, so that what the
// benchmark did before (other drivers, their garbage) cannot leak into it.
// argv[2]: JSON { which: 'floor' | 'dbtoken' | 'extensionOci', url, configFile, scope, options }.
// Prints JSON { maxMs, p99Ms }.
import { performance } from 'node:perf_hooks';
import { percentile } from './stats.mjs';

const { which, url, configFile, scope, options } = JSON.parse(process.argv[2]);

/**
 * Runs `refreshes` token fetches one second apart; a 1 ms timer records how
 * late it fires, and only lateness from a fetch's start to 100 ms after its
 * end counts.
 */
async function stallDuring(fetchOne, refreshes = 8) {
  await fetchOne(); // warm: module loading and the first key are not refreshes
  await new Promise((r) => setTimeout(r, 1_000));
  global.gc?.();
  const lateness = [];
  let last = performance.now();
  const sampler = setInterval(() => {
    const now = performance.now();
    lateness.push([now, Math.max(0, now - last - 1)]);
    last = now;
  }, 1);
  const windows = [];
  for (let i = 0; i < refreshes; i++) {
    const t0 = performance.now();
    await fetchOne();
    windows.push([t0, performance.now() + 100]);
    await new Promise((r) => setTimeout(r, 1_000));
  }
  clearInterval(sampler);
  const inside = lateness.filter(([t]) => windows.some(([a, b]) => t >= a && t <= b)).map(([, l]) => l);
  return { maxMs: Math.max(...inside), p99Ms: percentile(inside, 99) };
}

let fetchOne;
let done = () => {};
if (which === 'floor') {
  fetchOne = () => new Promise((r) => setTimeout(r, 310));
} else if (which === 'dbtoken') {
  const { ociDbToken } = await import('dbtoken/oci');
  const token = ociDbToken({ scope, auth: { type: 'api_key', configFile }, endpoint: url }, options);
  fetchOne = () => token.getToken({ forceRefresh: true });
  done = () => token.close();
} else {
  const { interceptOciAuth, loadExtensionOci } = await import('./oci-intercept.mjs');
  const plugin = loadExtensionOci({ authType: 'configFileBasedAuthentication', configFileLocation: configFile, profile: 'DEFAULT', scope });
  interceptOciAuth(url);
  fetchOne = () => plugin.accessToken(true, plugin.config);
}
const result = await stallDuring(fetchOne);
done();
process.stdout.write(JSON.stringify(result));
