// Small helpers for side-by-side measurements: medians and ratios, never single runs.
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** Runs `a` and `b` alternately for `rounds`, returning each one's per-round results. */
export async function alternate(rounds, a, b) {
  const ra = [];
  const rb = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      ra.push(await a());
      rb.push(await b());
    } else {
      rb.push(await b());
      ra.push(await a());
    }
  }
  return [ra, rb];
}

/** ns per call of an async fn, over n sequential awaited calls. */
export async function nsPerCall(fn, n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - t0) / n;
}

export function table(rows) {
  const cols = ['measure', 'dbtoken', 'baseline', 'ratio', 'target'];
  const data = rows.map((r) => cols.map((c) => String(r[c] ?? '')));
  const widths = cols.map((c, i) => Math.max(c.length, ...data.map((d) => d[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
  console.log(line(cols));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const d of data) console.log(line(d));
}

/**
 * Times `rounds` x `n` pairs of calls, alternating which of `a` and `b` goes
 * first, so that drift in the machine's speed lands on both equally. Returns
 * each one's per-call times in ms.
 */
export async function interleaved(a, b, n, rounds) {
  const ta = [];
  const tb = [];
  const once = async (fn, into) => {
    const t0 = process.hrtime.bigint();
    await fn();
    into.push(Number(process.hrtime.bigint() - t0) / 1e6);
  };
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < n; i++) {
      if ((r + i) % 2 === 0) {
        await once(a, ta);
        await once(b, tb);
      } else {
        await once(b, tb);
        await once(a, ta);
      }
    }
  }
  return [ta, tb];
}

/**
 * The table row for "open N connections through the IAM pool vs a static
 * password pool": per-connection medians `a` (dbtoken) and `b` (baseline),
 * and what the server's verifier saw.
 */
export function connectionOverheadRow(driver, connections, a, b, binds) {
  const refused = binds.filter((x) => !x.ok).length;
  return {
    measure: `open ${connections} ${driver} connections over TLS, x5 interleaved, loginRate: false (median per connection; ${binds.length} logins, ${refused} refused)`,
    dbtoken: `${median(a).toFixed(2)} ms (${(median(a) * connections).toFixed(0)} ms / ${connections})`,
    baseline: `${median(b).toFixed(2)} ms (static password, same auth path)`,
    ratio: (median(a) / median(b)).toFixed(3),
    target: '<= 1.03',
  };
}
