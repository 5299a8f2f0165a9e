// What a smoke run needs, read and checked before anything connects: the
// stack's outputs (from `pulumi stack output`) and the smoke users, from the
// environment so that passwords stay out of argv and shell history.
// Every problem is reported at once, each naming the output or variable and the fix.
import { InputError } from "../cli";

export interface SmokeTarget {
  /** wss:// URL of the LiveKit server (the stack's `livekitUrl` output). */
  readonly livekitUrl: string;
  readonly supabaseUrl: string;
  /** LiveKit API credentials, to check the room server-side and end it. */
  readonly apiKey: string;
  readonly apiSecret: string;
}

export interface SmokeUsers {
  /** The project's anon or publishable key, as the app ships it. */
  readonly supabaseKey: string;
  /** A tour set aside for smoke runs: the guide guides it, the listeners are on it. */
  readonly tourId: string;
  readonly guideEmail: string;
  readonly listenerEmails: readonly string[];
  /** Optional: a signed-in user who is not on the tour, who must be refused. */
  readonly outsiderEmail?: string;
  /** One password shared by the smoke users. */
  readonly password: string;
}

/** Unusable inputs (exit 2): one problem is one line, several are listed below a heading. */
export class SmokeInputError extends InputError {
  constructor(readonly problems: readonly string[]) {
    super(
      problems.length === 1
        ? `smoke test inputs are not usable: ${problems[0]}`
        : `smoke test inputs are not usable:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.name = "SmokeInputError";
  }
}

export const SMOKE_ENV = {
  supabaseKey: "SUPABASE_ANON_KEY",
  tourId: "ROAMCAST_SMOKE_TOUR_ID",
  guideEmail: "ROAMCAST_SMOKE_GUIDE_EMAIL",
  listenerEmails: "ROAMCAST_SMOKE_LISTENER_EMAILS",
  outsiderEmail: "ROAMCAST_SMOKE_OUTSIDER_EMAIL",
  password: "ROAMCAST_SMOKE_PASSWORD",
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

function urlProblem(name: string, value: unknown, protocols: readonly string[]): string | undefined {
  if (typeof value !== "string" || value === "")
    return `stack output \`${name}\` is missing: run \`pulumi up\` on the stack first, or pass --outputs with a file that has it`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `stack output \`${name}\` is not a URL (${JSON.stringify(value)})`;
  }
  if (!protocols.includes(url.protocol))
    return `stack output \`${name}\` must be a ${protocols.join(" or ")} URL, not ${url.protocol}`;
  return undefined;
}

/** Checks the stack outputs the smoke run uses (the shape of `pulumi stack output --json --show-secrets`). */
export function parseSmokeTarget(
  outputs: Record<string, unknown>,
  options: { allowInsecure?: boolean } = {},
): SmokeTarget {
  const problems: string[] = [];
  const ws = options.allowInsecure ? ["wss:", "ws:"] : ["wss:"];
  const http = options.allowInsecure ? ["https:", "http:"] : ["https:"];
  for (const p of [
    urlProblem("livekitUrl", outputs.livekitUrl, ws),
    urlProblem("supabaseUrl", outputs.supabaseUrl, http),
  ])
    if (p) problems.push(p);
  for (const name of ["apiKey", "apiSecret"] as const) {
    const value = outputs[name];
    if (value === "[secret]") problems.push(`stack output \`${name}\` is hidden: read the outputs with --show-secrets`);
    else if (typeof value !== "string" || value === "")
      problems.push(`stack output \`${name}\` is missing: run \`pulumi up\` on the stack first`);
  }
  if (problems.length) throw new SmokeInputError(problems);
  return {
    livekitUrl: outputs.livekitUrl as string,
    supabaseUrl: outputs.supabaseUrl as string,
    apiKey: outputs.apiKey as string,
    apiSecret: outputs.apiSecret as string,
  };
}

/** Reads the smoke users from the environment. */
export function readSmokeUsers(env: Readonly<Record<string, string | undefined>>): SmokeUsers {
  const problems: string[] = [];
  const get = (key: keyof typeof SMOKE_ENV) => env[SMOKE_ENV[key]]?.trim() ?? "";
  const required = (key: keyof typeof SMOKE_ENV, fix: string) => {
    const value = get(key);
    if (!value) problems.push(`${SMOKE_ENV[key]} is not set: ${fix}`);
    return value;
  };
  const supabaseKey = required("supabaseKey", "export the project's anon (or publishable) key, the one the app ships");
  const tourId = required("tourId", "export the id of the tour set aside for smoke runs (README: Smoke test)");
  if (tourId && !UUID.test(tourId))
    problems.push(`${SMOKE_ENV.tourId} must be a tour's uuid, not ${JSON.stringify(tourId)}`);
  const guideEmail = required("guideEmail", "export the e-mail of the smoke tour's guide");
  const listenerList = required(
    "listenerEmails",
    "export a comma-separated list of e-mails of users on the smoke tour",
  );
  const listenerEmails = listenerList
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean);
  const outsiderEmail = get("outsiderEmail") || undefined;
  const password = env[SMOKE_ENV.password] ?? "";
  if (!password) problems.push(`${SMOKE_ENV.password} is not set: export the smoke users' password`);
  const emails = [guideEmail, ...listenerEmails, ...(outsiderEmail ? [outsiderEmail] : [])].filter(Boolean);
  for (const e of emails) if (!EMAIL.test(e)) problems.push(`${JSON.stringify(e)} is not an e-mail address`);
  const seen = new Set<string>();
  for (const e of emails.map((x) => x.toLowerCase())) {
    if (seen.has(e))
      problems.push(`${e} is named twice: the guide, each listener and the outsider must be different users`);
    seen.add(e);
  }
  if (problems.length) throw new SmokeInputError(problems);
  return { supabaseKey, tourId, guideEmail, listenerEmails, outsiderEmail, password };
}

/** LiveKit's server API lives on the same host as its WebSocket. */
export function livekitHttpUrl(livekitUrl: string): string {
  const url = new URL(livekitUrl);
  url.protocol = url.protocol === "wss:" ? "https:" : "http:";
  return url.toString().replace(/\/$/, "");
}
