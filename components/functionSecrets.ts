// The edge functions' secrets as a resource the Pulumi engine runs itself,
// through Supabase's Management API (no shell, values never on a command line).
// The API's POST only upserts, so create and update then delete the managed
// secrets (plans/supabase.ts MANAGED_SECRET) the stack no longer sets; delete
// removes the ones it set. No other name is ever touched. The token and the
// values are Pulumi secrets: ciphertext in the state.
import * as pulumi from "@pulumi/pulumi";
import { staleSecretNames } from "../plans/supabase";

interface SecretsInputs {
  readonly projectRef: string;
  /** https://api.supabase.com, or a stand-in. */
  readonly apiUrl: string;
  readonly accessToken: string;
  /** Name → value. */
  readonly secrets: Record<string, string>;
}

async function managementApi(p: SecretsInputs, method: "GET" | "POST" | "DELETE", body?: unknown): Promise<string> {
  const path = `/v1/projects/${encodeURIComponent(p.projectRef)}/secrets`;
  const res = await fetch(`${p.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${p.accessToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  // The API's own message, never our request (it holds the secrets).
  if (!res.ok)
    throw new Error(`Supabase Management API ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return text;
}

/** Sets every wanted secret, then deletes the managed ones present but no longer wanted. */
async function setSecrets(p: SecretsInputs): Promise<string[]> {
  const wanted = Object.keys(p.secrets).sort();
  await managementApi(
    p,
    "POST",
    wanted.map((name) => ({ name, value: p.secrets[name] })),
  );
  const listed = JSON.parse(await managementApi(p, "GET")) as { name: string }[];
  const stale = staleSecretNames(
    listed.map((s) => s.name),
    wanted,
  );
  if (stale.length > 0) await managementApi(p, "DELETE", stale);
  return stale;
}

function secretsProblems(news: Record<string, unknown>): { property: string; reason: string }[] {
  const failures: { property: string; reason: string }[] = [];
  if (typeof news.projectRef !== "string" || !/^[a-z]{20}$/.test(news.projectRef))
    failures.push({ property: "projectRef", reason: "projectRef must be the Supabase project's 20-letter ref" });
  if (typeof news.apiUrl !== "string" || !/^https?:\/\/[^/]+$/.test(news.apiUrl))
    failures.push({ property: "apiUrl", reason: "apiUrl must be the Management API's base URL, without a path" });
  if (typeof news.accessToken !== "string" || news.accessToken.length === 0)
    failures.push({ property: "accessToken", reason: "accessToken must be a Supabase personal access token (sbp_…)" });
  const secrets = (news.secrets ?? {}) as Record<string, unknown>;
  const names = Object.keys(secrets);
  if (names.length === 0) failures.push({ property: "secrets", reason: "secrets must name at least one secret" });
  for (const name of names)
    if (!/^[A-Z][A-Z0-9_]*$/.test(name) || name.startsWith("SUPABASE_") || typeof secrets[name] !== "string")
      failures.push({
        property: "secrets",
        reason: `secret ${name}: names are UPPER_SNAKE_CASE, not SUPABASE_…, and values are strings`,
      });
  return failures;
}

const secretsProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    return { inputs: news, failures: secretsProblems(news) };
  },
  async diff(_id, olds, news) {
    const keys = ["projectRef", "apiUrl", "accessToken", "secrets"];
    const changed = keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
    // Another project: set them there, then remove them from the old one.
    return { changes: changed.length > 0, replaces: changed.filter((k) => k === "projectRef") };
  },
  async create(inputs: SecretsInputs) {
    const removed = await setSecrets(inputs);
    return { id: inputs.projectRef, outs: { ...inputs, removed } };
  },
  async update(_id, _olds, news: SecretsInputs) {
    const removed = await setSecrets(news);
    return { outs: { ...news, removed } };
  },
  async delete(_id, props: SecretsInputs) {
    await managementApi(props, "DELETE", Object.keys(props.secrets).sort());
  },
};

/** The secrets as one dynamic resource. */
export class FunctionSecretsResource extends pulumi.dynamic.Resource {
  declare readonly removed: pulumi.Output<string[]>;
  constructor(name: string, args: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super(
      secretsProvider,
      name,
      { ...args, removed: undefined },
      { ...opts, additionalSecretOutputs: ["accessToken", "secrets"] },
    );
  }
}

export interface FunctionSecretsArgs {
  readonly projectRef: string;
  readonly apiUrl?: string;
  readonly accessToken: pulumi.Input<string>;
  readonly secrets: pulumi.Input<{ name: string; value: string }[]>;
}

export class FunctionSecrets extends pulumi.ComponentResource {
  readonly resource: FunctionSecretsResource;

  constructor(name: string, args: FunctionSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("roamcast:functionSecrets:FunctionSecrets", name, {}, opts);
    this.resource = new FunctionSecretsResource(
      `${name}-values`,
      {
        projectRef: args.projectRef,
        apiUrl: args.apiUrl ?? "https://api.supabase.com",
        accessToken: pulumi.secret(args.accessToken),
        secrets: pulumi.secret(
          pulumi.output(args.secrets).apply((list) => Object.fromEntries(list.map((s) => [s.name, s.value]))),
        ),
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
