// The secret settings, checked only where Pulumi has decrypted them (under
// `pulumi up`/`preview`); no message ever contains a secret's value.
import { CONFIG_NAMESPACE } from "./fields";

/** Checks the secret settings without ever putting their values into a message. */
export function secretProblems(raw: Readonly<Record<string, unknown>>, projectRef: string): string[] {
  const problems: string[] = [];
  const secretKey = (k: string) => `${CONFIG_NAMESPACE}:${k}`;
  const setSecret = (k: string) => `set it with: pulumi config set --secret ${secretKey(k)}`;
  const given = (k: string) => (typeof raw[k] === "string" && raw[k] !== "" ? (raw[k] as string) : undefined);

  const dbUrl = given("supabaseDbUrl");
  if (!dbUrl)
    problems.push(
      `${secretKey("supabaseDbUrl")} is required; ${setSecret("supabaseDbUrl")} (the pooler URL from the dashboard's Connect dialog)`,
    );
  else problems.push(...poolerUrlProblems(dbUrl, projectRef).map((p) => `${secretKey("supabaseDbUrl")} ${p}`));

  const token = given("supabaseAccessToken");
  if (!token)
    problems.push(
      `${secretKey("supabaseAccessToken")} is required; ${setSecret("supabaseAccessToken")} (a personal access token from the dashboard's Account > Access Tokens)`,
    );
  else if (!/^sbp_[A-Za-z0-9]{20,}$/.test(token))
    problems.push(
      `${secretKey("supabaseAccessToken")} is not a Supabase personal access token (they start with sbp_); ${setSecret("supabaseAccessToken")}`,
    );

  const legacy = given("supabaseLegacyJwtSecret");
  if (legacy !== undefined && legacy.length < 32)
    problems.push(
      `${secretKey("supabaseLegacyJwtSecret")} is shorter than 32 characters, so it is not the project's JWT secret; copy it from the dashboard's JWT Keys page, or unset it`,
    );
  return problems;
}

/** Migrations connect through Supabase's pooler: CI runners often have no IPv6 route to a project's direct address. */
export function poolerUrlProblems(url: string, projectRef: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return ["is not a URL; use postgresql://postgres.<ref>:<password>@<region>.pooler.supabase.com:5432/postgres"];
  }
  const problems: string[] = [];
  if (!["postgres:", "postgresql:"].includes(parsed.protocol)) problems.push("must start with postgresql://");
  if (/^db\.[a-z]+\.supabase\.co$/.test(parsed.hostname)) {
    problems.push(
      "points at the project's direct address, which is IPv6-only; use the pooler URL instead (host <region>.pooler.supabase.com, user postgres.<ref>)",
    );
  } else if (!parsed.hostname.endsWith(".pooler.supabase.com")) {
    problems.push("must point at Supabase's connection pooler (host <region>.pooler.supabase.com)");
  }
  if (projectRef && decodeURIComponent(parsed.username) !== `postgres.${projectRef}`)
    problems.push(`must log in as postgres.${projectRef}, the pooler's user for this project`);
  if (!parsed.password) problems.push("has no password");
  if (!["5432", "6543", ""].includes(parsed.port))
    problems.push("must use the pooler's port 5432 (session) or 6543 (transaction)");
  return problems;
}
