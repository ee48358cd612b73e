/** Rows of `label  value`, the values lined up. */
export function table(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

/** "in 15 min", "in 1 h 5 min", "2 min ago". */
export function relativeTime(at: Date, now: number): string {
  const ms = at.getTime() - now;
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const span = minutes < 1 ? 'less than a minute' : minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  return ms >= 0 ? `in ${span}` : `${span} ago`;
}

/** `2026-11-23T10:15:00.000Z (in 60 min)`. */
export function expiry(at: Date, now: number): string {
  return `${at.toISOString()} (${relativeTime(at, now)})`;
}

/** `--json` output: one line of JSON. */
export function json(value: unknown): string {
  return JSON.stringify(value);
}
