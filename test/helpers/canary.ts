import { inspect } from 'node:util';
import { vi } from 'vitest';

/** Everything a user could see of a value: inspect, String, JSON, and for errors the stack and the cause chain. */
export function render(value: unknown): string {
  const parts = [inspect(value, { depth: 8 }), String(value)];
  try {
    parts.push(JSON.stringify(value) ?? '');
  } catch {
    // circular: inspect covered it
  }
  if (value instanceof Error) parts.push(value.stack ?? '', render(value.cause));
  return parts.join('\n');
}

/**
 * Collects what a pool's life shows: lines for a `logger`, and everything
 * written through console.* while it runs. `restore()` puts console back.
 */
export function captureOutput() {
  const seen: string[] = [];
  const logger = { debug: (m: string) => seen.push(m), warn: (m: string) => seen.push(m) };
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      seen.push(args.map(render).join(' '));
    }),
  );
  return {
    seen,
    logger,
    add: (value: unknown) => seen.push(render(value)),
    restore: () => spies.forEach((s) => s.mockRestore()),
    text: () => seen.join('\n'),
  };
}
