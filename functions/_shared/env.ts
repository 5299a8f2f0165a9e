// Reads the function's environment once, at start, and fails loudly naming
// every missing variable: a misconfigured function must not half-work.
// functions/_shared/startup.ts turns an EnvError into one line, not a stack trace.
export class EnvError extends Error {}

export function requireEnv<K extends string>(
  env: Record<string, string | undefined>,
  names: readonly K[],
): Record<K, string> {
  const missing = names.filter((n) => !env[n]);
  if (missing.length > 0) {
    throw new EnvError(
      `missing environment variable${missing.length > 1 ? "s" : ""}: ${missing.join(", ")} (set by the Supabase platform, or with: supabase secrets set ${missing.map((n) => `${n}=...`).join(" ")})`,
    );
  }
  return Object.fromEntries(names.map((n) => [n, env[n]!])) as Record<K, string>;
}

/** An optional whole number of seconds; anything else stops the function at start, naming the variable. */
export function optionalSeconds(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 60)
    throw new EnvError(
      `${name} must be a whole number of seconds, at least 60; got "${raw}"; set it with: supabase secrets set ${name}=<seconds>, or unset it for the default`,
    );
  return Number(raw);
}
