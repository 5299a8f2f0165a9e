// Waiting with a limit. Every wait on a network peer here is bounded, and the
// timer never outlives the answer (a stray timer keeps a CLI alive).

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** p's value, or a rejection naming `what` once ms have passed. */
export async function withTimeout<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether p settled (either way) within ms. */
export function settlesWithin(ms: number, p: Promise<unknown>): Promise<boolean> {
  const settled = p.then(
    () => true,
    () => true,
  );
  return withTimeout(ms, "settling", settled).catch(() => false);
}
