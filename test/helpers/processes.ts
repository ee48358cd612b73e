import { readdirSync, readFileSync } from 'node:fs';

/** The pids of the processes whose command line mentions `text` (a server's temp folder, say). */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * Waits until no process mentions `text`, checking every 50 ms for up to `withinMs` (a process that was
 * signalled may take a moment to go), and returns the pids still there: empty unless one stayed.
 */
export async function processesLeft(text: string, withinMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const left = processesMentioning(text);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
