// Bounded waits on I/O (real time, not pacing): a silent database or peer must never hold up a
// stop or a call for longer than its caller allows.

/** The promise, or a rejection once `ms` have passed. */
export function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** Waits for the promise at most `ms`; never rejects. 'late' when the time ran out first. */
export async function settleWithin(p: Promise<unknown>, ms: number): Promise<'done' | 'failed' | 'late'> {
  return withDeadline(
    p.then(() => 'done' as const, () => 'failed' as const),
    ms,
  ).catch(() => 'late' as const);
}
