import { Signer } from '@aws-sdk/rds-signer';
import { tokenProvider } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { mockTokenSource } from 'dbtoken/testing';
import { alternate, median, nsPerCall } from './stats.mjs';

const credentials = { accessKeyId: 'AKIDDBTOKENBENCH0001', secretAccessKey: 'bench-secret-access-key' };
const LIFETIME = 15 * 60_000;
const DAY = 24 * 60 * 60_000;

export async function tokenBench() {
  const rows = [];

  // 1. Warm getToken() against a bare async Map lookup.
  {
    const provider = tokenProvider(mockTokenSource({ lifetimeMs: DAY }));
    const warm = await provider.getToken();
    const map = new Map([['k', warm]]);
    const mapGet = async () => map.get('k');
    const get = () => provider.getToken();
    for (let i = 0; i < 200_000; i++) {
      await get();
      await mapGet();
    }
    const [a, b] = await alternate(21, () => nsPerCall(get, 200_000), () => nsPerCall(mapGet, 200_000));
    const ratio = median(a) / median(b);
    rows.push({ measure: 'warm getToken() per call (median of 21 x 200k)', dbtoken: `${median(a).toFixed(0)} ns`, baseline: `${median(b).toFixed(0)} ns (async Map.get)`, ratio: ratio.toFixed(2), target: '<= 2' });
    provider.close();
  }

  // 2. 1,000 concurrent cold getToken() calls.
  {
    const source = mockTokenSource();
    source.delays(5);
    const provider = tokenProvider(source);
    await Promise.all(Array.from({ length: 1000 }, () => provider.getToken()));
    rows.push({ measure: 'source calls for 1,000 concurrent cold getToken()', dbtoken: source.calls.length, baseline: '1,000 (no single flight)', ratio: (source.calls.length / 1000).toFixed(3), target: 'exactly 1' });
    provider.close();
  }

  // 3. A simulated day at a 15-minute lifetime: one new connection every 10 s.
  {
    let now = Date.UTC(2026, 0, 1);
    const clock = () => now;
    const source = mockTokenSource({ clock, lifetimeMs: LIFETIME });
    const provider = tokenProvider(source, { clock });
    let connections = 0;
    for (const end = now + DAY; now < end; now += 10_000) {
      await provider.getToken();
      connections += 1;
      await new Promise((r) => setImmediate(r)); // let a background refresh land
    }
    const usable = LIFETIME - Math.max(LIFETIME / 4, 60_000);
    const minimum = Math.ceil(DAY / usable);
    rows.push({ measure: `source calls over 24 h, 15-min tokens, 1 connection / 10 s (${connections} connections)`, dbtoken: source.calls.length, baseline: `${connections} (naive, one per connection)`, ratio: (source.calls.length / connections).toFixed(4), target: `theoretical minimum ${minimum} (= 24 h / 11.25 min usable per token)` });
    provider.close();
  }

  // 4. The same workload through a naive password callback: signer.getAuthToken() per connection, timed.
  {
    const signer = new Signer({ hostname: '127.0.0.1', port: 5432, username: 'app', region: 'us-east-1', credentials });
    const provider = awsRdsToken({ hostname: '127.0.0.1', port: 5432, username: 'app', region: 'us-east-1', credentials });
    await provider.getToken();
    const naive = () => signer.getAuthToken();
    const cached = () => provider.getToken();
    for (let i = 0; i < 2_000; i++) await naive();
    const [a, b] = await alternate(11, () => nsPerCall(cached, 20_000), () => nsPerCall(naive, 2_000));
    rows.push({ measure: 'password per new connection: cached awsRdsToken vs naive signer.getAuthToken()', dbtoken: `${(median(a) / 1000).toFixed(2)} us`, baseline: `${(median(b) / 1000).toFixed(1)} us (sign every time)`, ratio: (median(a) / median(b)).toFixed(4), target: '< 1' });
    provider.close();
  }
  return rows;
}
