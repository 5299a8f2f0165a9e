// The real Pulumi CLI (built by scripts/build-tools.sh) on this project's
// Pulumi.yaml and committed stack files: stacks on a file backend, secrets that
// round trip, and the CLI's own config validation, the step that refused a new
// dev stack (issue 8, defect 1). The Node.js language host is not installed
// (nor served here), so a preview whose config passes stops at loading it: that
// error, after "Previewing update", is the proof the config was accepted.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { CONFIG_FIELDS, CONFIG_NAMESPACE, type FieldSpec } from "../../config/schema";
import { goTool } from "../../local/processes";
import { tempDir } from "../../local/temp";
import { validSecretConfig } from "../support/fixtures";

const root = join(__dirname, "..", "..");
const PASSPHRASE = "roamcast-cli-test-passphrase";
const PAST_CONFIG = /no language plugin 'pulumi-language-nodejs'/;
const CONFIG_REFUSED = /validating stack config/;

const fields = Object.entries(CONFIG_FIELDS as Record<string, FieldSpec>);
const required = fields.filter(([, s]) => s.default === undefined && !s.optional).map(([k]) => k);
const requiredSecrets = fields.filter(([k, s]) => s.secret && required.includes(k)).map(([k]) => k);
const testSecrets = validSecretConfig() as Record<string, string>;

type StackConfig = Record<string, unknown>;
interface Result {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A committed stack file's plain settings. Its `secure:` values (and the
 * `encryptionsalt` they need) belong to someone else's passphrase: the copy
 * leaves them out and the test sets its own.
 */
function committedConfig(stack: string): StackConfig {
  const doc = parse(readFileSync(join(root, `Pulumi.${stack}.yaml`), "utf8")) as { config: StackConfig };
  return Object.fromEntries(
    Object.entries(doc.config).filter(([, v]) => !(v && typeof v === "object" && "secure" in v)),
  );
}

const workspaces: string[] = [];
afterAll(() => workspaces.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A temporary copy of the project with its own PULUMI_HOME, file backend and passphrase. */
function workspace(pulumiYaml = readFileSync(join(root, "Pulumi.yaml"), "utf8")) {
  const dir = tempDir();
  workspaces.push(dir);
  const project = join(dir, "project");
  for (const sub of [project, join(dir, "home"), join(dir, "state")]) mkdirSync(sub);
  writeFileSync(join(project, "Pulumi.yaml"), pulumiYaml);
  const env = {
    // No language host on this PATH on any machine: a preview stops right after config validation.
    PATH: "/usr/bin:/bin",
    HOME: dir,
    PULUMI_HOME: join(dir, "home"),
    PULUMI_BACKEND_URL: `file://${join(dir, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
  const pulumi = (args: readonly string[], input?: string, passphrase = PASSPHRASE): Result => {
    const result = spawnSync(goTool("pulumi"), [...args, "--non-interactive"], {
      cwd: project,
      env: { ...env, PULUMI_CONFIG_PASSPHRASE: passphrase },
      input,
      encoding: "utf8",
      timeout: 60_000,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const ok = (args: readonly string[], input?: string): string => {
    const result = pulumi(args, input);
    expect(result.status, `pulumi ${args.join(" ")}: ${result.stderr}`).toBe(0);
    return result.stdout;
  };
  const stackFile = (stack: string) => join(project, `Pulumi.${stack}.yaml`);
  return {
    pulumi,
    ok,
    stackText: (stack: string) => readFileSync(stackFile(stack), "utf8"),
    /** Writes Pulumi.<stack>.yaml with `config` (keys in the roamcast: namespace) and runs `pulumi stack init`. */
    init(stack: string, config: StackConfig = {}): void {
      writeFileSync(stackFile(stack), stringify({ config }));
      ok(["stack", "init", stack]);
    },
    /** Sets every required secret the way the README says: `pulumi config set --secret`, value on stdin. */
    setRequiredSecrets(stack: string): void {
      for (const key of requiredSecrets) ok(["config", "set", "--secret", key, "--stack", stack], testSecrets[key]);
    },
    preview: (stack: string) => pulumi(["preview", "--stack", stack]),
  };
}

const withoutNamespace = (config: StackConfig, key: string): StackConfig =>
  Object.fromEntries(Object.entries(config).filter(([k]) => k !== `${CONFIG_NAMESPACE}:${key}`));

/** The CLI's list of missing keys: 'a', 'b' and 'c'. */
const cliList = (keys: readonly string[]) =>
  [...keys]
    .sort()
    .map((k) => `'${k}'`)
    .join(", ")
    .replace(/, ([^,]+)$/, " and $1");

function expectPastConfigValidation(result: Result, stack: string): void {
  expect(result.stderr).not.toMatch(CONFIG_REFUSED);
  expect(result.stdout).toContain(`Previewing update (${stack})`);
  expect(result.stderr).toMatch(PAST_CONFIG);
}

/** Refused by the CLI's config validation, before it even starts the preview or looks for the program. */
function expectRefusedBeforePreview(result: Result, message: string): void {
  expect(result.status).not.toBe(0);
  expect(result.stderr).toContain(`error: validating stack config: ${message}`);
  expect(result.stdout).not.toContain("Previewing update");
  expect(result.stderr).not.toMatch(PAST_CONFIG);
}

describe("the real Pulumi CLI on this project", () => {
  it("is the version scripts/build-tools.sh built", () => {
    const version = basename(realpathSync(goTool("pulumi"))).replace(/^pulumi-/, "");
    expect(workspace().ok(["version"]).trim()).toBe(version);
  });

  it("creates the dev and prod stacks on a file backend, each with its own passphrase salt", () => {
    const ws = workspace();
    for (const stack of ["dev", "prod"]) ws.init(stack, committedConfig(stack));
    const stacks = JSON.parse(ws.ok(["stack", "ls", "--json"])) as { name: string }[];
    expect(stacks.map((s) => s.name).sort()).toEqual(["dev", "prod"]);
    for (const stack of ["dev", "prod"]) expect(ws.stackText(stack)).toMatch(/^encryptionsalt: v1:/m);
  });

  it("round-trips a secret: the stack file holds only ciphertext, config get returns the value", () => {
    const ws = workspace();
    ws.init("dev", committedConfig("dev"));
    const value = `postgresql://postgres.abcdefghijklmnopqrst:${Math.random().toString(36).slice(2)}@x.pooler.supabase.com:5432/postgres`;
    ws.ok(["config", "set", "--secret", "supabaseDbUrl", "--stack", "dev"], value);
    const stored = (parse(ws.stackText("dev")) as { config: StackConfig }).config["roamcast:supabaseDbUrl"];
    expect(stored).toEqual({ secure: expect.stringMatching(/^v1:/) });
    expect(ws.stackText("dev")).not.toContain(value);
    expect(ws.ok(["config", "get", "supabaseDbUrl", "--stack", "dev"]).trim()).toBe(value);
    const wrong = ws.pulumi(["config", "get", "supabaseDbUrl", "--stack", "dev"], undefined, "another passphrase");
    expect([wrong.status, wrong.stderr.trim()]).toEqual([1, "error: incorrect passphrase"]);
  });

  it.each(["dev", "prod"])(
    "accepts the committed Pulumi.%s.yaml against Pulumi.yaml, once its required secrets are set",
    (stack) => {
      const ws = workspace();
      ws.init(stack, committedConfig(stack));
      ws.setRequiredSecrets(stack);
      expectPastConfigValidation(ws.preview(stack), stack);
    },
  );

  it("accepts a new dev stack without the optional legacy JWT secret, and hands the program an empty value (defect 1)", () => {
    const ws = workspace();
    ws.init("dev", withoutNamespace(committedConfig("dev"), "supabaseLegacyJwtSecret"));
    ws.setRequiredSecrets("dev");
    expect(ws.stackText("dev")).not.toContain("supabaseLegacyJwtSecret");
    expectPastConfigValidation(ws.preview("dev"), "dev");
    expect(ws.ok(["config", "get", "supabaseLegacyJwtSecret", "--stack", "dev"])).toBe("\n");
  });

  it("would refuse the optional secret if Pulumi.yaml marked it secret: the CLI stores its default unencrypted", () => {
    const project = parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as { config: Record<string, object> };
    project.config.supabaseLegacyJwtSecret = { ...project.config.supabaseLegacyJwtSecret, secret: true };
    const ws = workspace(stringify(project));
    ws.init("dev", committedConfig("dev"));
    ws.setRequiredSecrets("dev");
    expectRefusedBeforePreview(
      ws.preview("dev"),
      "Stack 'dev' with configuration key 'supabaseLegacyJwtSecret' must be encrypted as it's secret",
    );
  });

  it("names every missing required key at once, exactly the keys the program requires", () => {
    const ws = workspace();
    ws.init("dev");
    expectRefusedBeforePreview(ws.preview("dev"), `Stack 'dev' is missing configuration values ${cliList(required)}`);
  });

  it("stops at the first key (alphabetically) whose value has the wrong type", () => {
    const ws = workspace();
    ws.init("dev", { ...committedConfig("dev"), "roamcast:listenersPerTour": "many", "roamcast:tourHours": "lots" });
    ws.setRequiredSecrets("dev");
    const result = ws.preview("dev");
    expectRefusedBeforePreview(
      result,
      "Stack 'dev' with configuration key 'listenersPerTour' must be of type 'integer'",
    );
    expect(result.stderr).not.toContain("tourHours");
  });

  it("refuses a required secret stored in plain text", () => {
    const ws = workspace();
    ws.init("dev", committedConfig("dev"));
    ws.setRequiredSecrets("dev");
    ws.ok(["config", "set", "supabaseDbUrl", testSecrets.supabaseDbUrl!, "--stack", "dev"]);
    expectRefusedBeforePreview(
      ws.preview("dev"),
      "Stack 'dev' with configuration key 'supabaseDbUrl' must be encrypted as it's secret",
    );
  });
});
