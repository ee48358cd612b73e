/**
 * One real 'abort' listener per signal, however many waiters share it: a
 * caller may pass the same `AbortSignal` to thousands of `getToken()` calls,
 * and Node warns (MaxListenersExceededWarning) past ten listeners.
 */
const fanOut = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `listener` once when `signal` aborts; returns the unsubscribe function. */
export function onAbort(signal: AbortSignal, listener: () => void): () => void {
  let listeners = fanOut.get(signal);
  if (listeners === undefined) {
    const set = new Set<() => void>();
    listeners = set;
    fanOut.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        fanOut.delete(signal);
        for (const l of set) l();
        set.clear();
      },
      { once: true },
    );
  }
  const set = listeners;
  set.add(listener);
  return () => {
    set.delete(listener);
  };
}

/** Settles like `p`, unless `signal` aborts first (then rejects with its reason). */
export function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const off = onAbort(signal, () => reject(signal.reason));
    p.then(
      (v) => {
        off();
        resolve(v);
      },
      (err: unknown) => {
        off();
        reject(err);
      },
    );
  });
}

/**
 * Waits `ms` on a referenced timer (a caller is waiting, so the process must
 * not exit under it), or until `signal` aborts.
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const done = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, Math.min(ms, 2 ** 31 - 1)));
  });
  return abortable(done, signal).finally(() => clearTimeout(timer));
}
