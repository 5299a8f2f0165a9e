// The edge functions' deploys as resources the Pulumi engine runs itself,
// through Supabase's Management API (no shell, no Supabase CLI): create and
// update upload the function's files as multipart/form-data
// (POST /v1/projects/{ref}/functions/deploy?slug=…), delete removes it
// (DELETE /v1/projects/{ref}/functions/{slug}). A changed source hash or
// verify_jwt is an update (one upload); another project or slug is a replace.
// The token is a Pulumi secret: ciphertext in the state, never an output.
//
// The multipart shape follows the Supabase CLI's `functions deploy --use-api`
// (a `metadata` JSON part, one `file` part per file named by its path
// relative to functions/). The CLI's Go source could not be read here (its
// npm package ships only a downloader), so these field names are an
// assumption, checked only against the engine test's stand-in.
import * as pulumi from "@pulumi/pulumi";
import { EDGE_FUNCTIONS, type SourceFile, functionSourceHash } from "../plans/supabase";

interface DeployInputs {
  readonly projectRef: string;
  /** https://api.supabase.com, or a stand-in. */
  readonly apiUrl: string;
  readonly accessToken: string;
  readonly slug: string;
  readonly verifyJwt: boolean;
  readonly sourceHash: string;
  /** Path relative to functions/ → content, base64. */
  readonly files: Record<string, string>;
}

// Everything the provider's methods use lives inside it: the serialized code stays small.
const deployProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    const failures: { property: string; reason: string }[] = [];
    const fail = (property: string, reason: string) => failures.push({ property, reason });
    if (typeof news.projectRef !== "string" || !/^[a-z]{20}$/.test(news.projectRef))
      fail("projectRef", "projectRef must be the Supabase project's 20-letter ref");
    if (typeof news.apiUrl !== "string" || !/^https?:\/\/[^/]+$/.test(news.apiUrl))
      fail("apiUrl", "apiUrl must be the Management API's base URL, without a path");
    if (typeof news.accessToken !== "string" || news.accessToken.length === 0)
      fail("accessToken", "accessToken must be a Supabase personal access token (sbp_…)");
    if (typeof news.slug !== "string" || !/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(news.slug))
      fail("slug", "slug must be the function's folder name under functions/ (letters, digits, - and _)");
    if (typeof news.verifyJwt !== "boolean") fail("verifyJwt", "verifyJwt must be true or false");
    if (typeof news.sourceHash !== "string" || !/^[0-9a-f]{64}$/.test(news.sourceHash))
      fail("sourceHash", "sourceHash must be the sha256 of the function's files (plans/supabase.ts)");
    const paths = Object.keys((news.files ?? {}) as object);
    if (typeof news.slug === "string" && !paths.includes(`${news.slug}/index.ts`))
      fail("files", `files must hold ${String(news.slug)}/index.ts, the function's entrypoint`);
    return { inputs: news, failures };
  },
  async diff(_id, olds, news) {
    // The state of the command resource this one is aliased to: take it over by an update (a deploy).
    if (olds.slug === undefined) return { changes: true, replaces: [] };
    const differs = (k: string) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]);
    const changed = ["projectRef", "slug", "sourceHash", "verifyJwt", "apiUrl", "accessToken"].filter(differs);
    return { changes: changed.length > 0, replaces: changed.filter((k) => k === "projectRef" || k === "slug") };
  },
  async create(inputs: DeployInputs) {
    await deployFunction(inputs);
    return { id: inputs.slug, outs: inputs };
  },
  async update(_id, olds: DeployInputs, news: DeployInputs) {
    // A rotated token or another API address alone uploads nothing; the state keeps the new ones for delete.
    if (olds.sourceHash !== news.sourceHash || olds.verifyJwt !== news.verifyJwt) await deployFunction(news);
    return { outs: news };
  },
  async delete(_id, props: DeployInputs) {
    await managementApi(props, "DELETE", `/functions/${encodeURIComponent(props.slug)}`, undefined, [404]);
  },
};

/** Uploads the function's files and metadata in one multipart request. */
async function deployFunction(p: DeployInputs): Promise<void> {
  const form = new FormData();
  const metadata = {
    name: p.slug,
    entrypoint_path: `${p.slug}/index.ts`,
    import_map_path: `${p.slug}/deno.json`,
    verify_jwt: p.verifyJwt,
  };
  form.append("metadata", JSON.stringify(metadata));
  for (const [path, content] of Object.entries(p.files).sort(([a], [b]) => (a < b ? -1 : 1)))
    form.append("file", new Blob([Buffer.from(content, "base64")]), path);
  await managementApi(p, "POST", `/functions/deploy?slug=${encodeURIComponent(p.slug)}`, form);
}

async function managementApi(
  p: DeployInputs,
  method: "POST" | "DELETE",
  suffix: string,
  body?: FormData,
  alsoFine: number[] = [],
): Promise<void> {
  const path = `/v1/projects/${encodeURIComponent(p.projectRef)}${suffix}`;
  const res = await fetch(`${p.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${p.accessToken}` },
    body,
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  // The API's own message, never our request (its header holds the token).
  if (!res.ok && !alsoFine.includes(res.status))
    throw new Error(`Supabase Management API ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
}

/** One function's deploy as a dynamic resource. */
export class FunctionDeployResource extends pulumi.dynamic.Resource {
  constructor(name: string, args: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super(deployProvider, name, args, { ...opts, additionalSecretOutputs: ["accessToken"] });
  }
}

export interface FunctionDeploysArgs {
  readonly projectRef: string;
  readonly apiUrl?: string;
  readonly accessToken: pulumi.Input<string>;
  /** Each function's files (its own folder and the shared code), by path relative to functions/. */
  readonly sources: Readonly<Record<string, readonly SourceFile[]>>;
  /** Resource names are `<namePrefix>-function-<slug>`. */
  readonly namePrefix: string;
}

/**
 * One resource per function of plans/supabase.ts EDGE_FUNCTIONS that has
 * sources. Each is aliased to the command resource of the same name that
 * deployed it before, directly under this component's parent, so a stack from
 * before moves by an update (the first diff sees the command's state and
 * answers "update") and the old command's delete (`supabase functions
 * delete`) never runs.
 */
export class FunctionDeploys extends pulumi.ComponentResource {
  readonly resources: FunctionDeployResource[];

  constructor(name: string, args: FunctionDeploysArgs, opts?: pulumi.ComponentResourceOptions) {
    super("roamcast:functionDeploys:FunctionDeploys", name, {}, opts);
    const accessToken = pulumi.secret(args.accessToken);
    const formerCommand = opts?.parent
      ? { type: "command:local:Command", parent: opts.parent }
      : { type: "command:local:Command", noParent: true };
    this.resources = EDGE_FUNCTIONS.flatMap((fn) => {
      const files = args.sources[fn.name];
      if (!files) return [];
      return new FunctionDeployResource(
        `${args.namePrefix}-function-${fn.name}`,
        {
          projectRef: args.projectRef,
          apiUrl: args.apiUrl ?? "https://api.supabase.com",
          accessToken,
          slug: fn.name,
          verifyJwt: fn.verifyJwt,
          sourceHash: functionSourceHash(files),
          files: Object.fromEntries(files.map((f) => [f.path, Buffer.from(f.content).toString("base64")])),
        },
        // A component's dependsOn does not reach its children: pass it on.
        { parent: this, aliases: [formerCommand], dependsOn: opts?.dependsOn },
      );
    });
    this.registerOutputs({});
  }
}
