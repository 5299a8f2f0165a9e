// The real Pulumi engine for tests: the CLI from scripts/build-tools.sh, the
// Node dynamic-provider host on PATH (the CLI's release ships it as a
// three-line script; written here), a file backend in a temp folder and a
// passphrase secrets provider. Programs run inline through the Automation API.
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalWorkspace, PulumiCommand, type PulumiFn, type Stack } from "@pulumi/pulumi/automation";
import { goTool } from "../../local/processes";
import { tempDir } from "../../local/temp";

export const PASSPHRASE = "roamcast-engine-test-passphrase";

/** A Pulumi installation: the CLI, and the dynamic-provider host on PATH. */
export function pulumiRoot(): string {
  const root = tempDir();
  mkdirSync(join(root, "bin"));
  symlinkSync(goTool("pulumi"), join(root, "bin", "pulumi"));
  const host = require.resolve("@pulumi/pulumi/cmd/dynamic-provider");
  const shim = join(root, "bin", "pulumi-resource-pulumi-nodejs");
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${host}" "$@"\n`);
  chmodSync(shim, 0o755);
  return root;
}

export interface EngineStack {
  readonly stack: Stack;
  /** The backend's folder: the state files live under it. */
  readonly stateDir: string;
  /** Every file of the backend's folder, concatenated: for grepping the state. */
  stateText(): string;
  /** Removes the stack's temporary folders (the CLI link, its home, the backend, the project folder). */
  remove(): void;
}

/** A stack on a fresh file backend running `program`, which may read variables the test changes between runs. */
export async function engineStack(stackName: string, program: PulumiFn): Promise<EngineStack> {
  const root = pulumiRoot();
  const [home, stateDir] = [tempDir(), tempDir()];
  // The project folder, as `pulumi up` runs from the repository root: the
  // dynamic provider's serialized code requires its packages from here.
  const workDir = tempDir();
  symlinkSync(join(__dirname, "..", "..", "node_modules"), join(workDir, "node_modules"));
  const envVars = {
    PATH: `${join(root, "bin")}:${process.env.PATH}`,
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${stateDir}`,
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
  };
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName, projectName: "roamcast", program },
    {
      workDir,
      envVars,
      pulumiCommand: await PulumiCommand.get({ root, skipVersionCheck: true }),
      projectSettings: { name: "roamcast", runtime: "nodejs", backend: { url: `file://${stateDir}` } },
    },
  );
  const remove = () => [root, home, stateDir, workDir].forEach((d) => rmSync(d, { recursive: true, force: true }));
  return { stack, stateDir, stateText: () => readTree(stateDir), remove };
}

function readTree(dir: string): string {
  return readdirSync(dir)
    .map((entry) => {
      const path = join(dir, entry);
      return statSync(path).isDirectory() ? readTree(path) : readFileSync(path, "utf8");
    })
    .join("\n");
}

/** The message of a rejected engine operation ("" when it succeeded). */
export async function failureOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return "";
  } catch (error) {
    return (error as Error).message;
  }
}
