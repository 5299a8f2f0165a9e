// npm run smoke -- --stack <name> [--listeners 3] [--measure 10] [--max-latency-ms 200] [--max-loss 0.02]
//                   [--outputs outputs.json] [--json report.json]
// A guide and a few listeners on a deployed stack, through the app's own
// doors; prints a pass/fail report with join time, audio latency and loss,
// and exits non-zero unless every check passed. Smoke users come from the
// environment (README: Smoke test).
import "../tour/quietLogs";
import { execFileSync } from "node:child_process";
import { accessSync, constants, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { runSmoke } from "./smoke/flow";
import { disposeClients } from "../tour/rooms";
import { parseSmokeTarget, readSmokeUsers, SMOKE_ENV, SmokeInputError } from "./smoke/inputs";
import { DEFAULT_THRESHOLDS, formatSmokeReport, smokePassed } from "./smoke/report";
import { type Cli, InputError, numberOption, runCli } from "./cli";

function stackOutputs(stack: string, file: string | undefined): Record<string, unknown> {
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new SmokeInputError([
        `--outputs ${file} cannot be read as JSON (${error instanceof Error ? error.message : String(error)}): write it with \`pulumi stack output --json --show-secrets > ${file}\``,
      ]);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new SmokeInputError([`--outputs ${file} must hold a JSON object of stack outputs`]);
    return parsed as Record<string, unknown>;
  }
  try {
    const json = execFileSync("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", stack], {
      cwd: resolve(__dirname, ".."),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    return JSON.parse(json) as Record<string, unknown>;
  } catch (error) {
    const detail =
      (error as { stderr?: string; code?: string }).code === "ENOENT"
        ? "the Pulumi CLI is not on PATH"
        : String((error as { stderr?: string }).stderr ?? error).trim();
    throw new SmokeInputError([
      `cannot read the outputs of stack ${stack} (${detail}): log in to the stack's backend, or pass --outputs FILE written by \`pulumi stack output --json --show-secrets\``,
    ]);
  }
}

const SPEC = {
  usage: "usage: npm run smoke -- --stack <name> [options]",
  help: `
A guide and a few listeners on a deployed stack, through the app's own doors:
sign-in, the token function, LiveKit, the webhook. Prints a pass/fail report
with join time, audio latency and loss; exits 0 only if every check passed,
1 if a check failed, 2 if the inputs are unusable.

  --stack <name>          the stack to test, e.g. dev
  --outputs <file>        its outputs as JSON (default: \`pulumi stack output --json --show-secrets\`)
  --listeners <n>         listeners to join (default 3)
  --measure <seconds>     how long to measure the audio (default 10)
  --max-latency-ms <ms>   the audio latency's p95 must stay under this (default ${DEFAULT_THRESHOLDS.maxLatencyP95Ms})
  --max-loss <share>      share of markers the listeners may miss, below 1 (default ${DEFAULT_THRESHOLDS.maxLoss})
  --allow-insecure        accept ws:// and http:// outputs (a local stack only)
  --json <file>           also write the report as JSON
  -h, --help              this text

Smoke users come from the environment: ${Object.values(SMOKE_ENV).join(", ")} (README: Smoke test).
`,
  options: {
    stack: { type: "string" },
    outputs: { type: "string" },
    listeners: { type: "string", default: "3" },
    measure: { type: "string", default: "10" },
    "max-latency-ms": { type: "string", default: String(DEFAULT_THRESHOLDS.maxLatencyP95Ms) },
    "max-loss": { type: "string", default: String(DEFAULT_THRESHOLDS.maxLoss) },
    "allow-insecure": { type: "boolean", default: false },
    json: { type: "string" },
  },
} as const;

async function main(cli: Cli<typeof SPEC.options>): Promise<number> {
  const { values } = cli;
  const stack = cli.required("stack");
  const listeners = numberOption("listeners", values.listeners, { integer: true, above: 0 });
  const measureMs = numberOption("measure", values.measure, { above: 0 }) * 1000;
  const maxLoss = numberOption("max-loss", values["max-loss"], { above: 0 });
  if (maxLoss >= 1)
    throw new InputError(`--max-loss is a share of markers, below 1 (0.02 is 2 %), not ${values["max-loss"]}`);
  const thresholds = {
    maxLatencyP95Ms: numberOption("max-latency-ms", values["max-latency-ms"], { above: 0 }),
    maxLoss,
  };
  if (values.json) {
    // Found out now, not after a run whose report then has nowhere to go.
    try {
      accessSync(dirname(resolve(values.json)), constants.W_OK);
    } catch {
      throw new InputError(
        `--json ${values.json}: its folder does not exist or is not writable; name a file in a writable folder`,
      );
    }
  }
  const target = parseSmokeTarget(stackOutputs(stack, values.outputs), {
    allowInsecure: values["allow-insecure"],
  });
  const users = readSmokeUsers(process.env);
  if (users.listenerEmails.length < listeners) {
    throw new SmokeInputError([
      `--listeners ${listeners} needs as many e-mails in ROAMCAST_SMOKE_LISTENER_EMAILS (it has ${users.listenerEmails.length})`,
    ]);
  }
  const result = await runSmoke(target, users, {
    listeners,
    measureMs,
    thresholds,
    log: (line) => console.error(line),
  });
  console.log(formatSmokeReport(stack, result.checks, result.figures));
  if (values.json)
    writeFileSync(
      values.json,
      `${JSON.stringify({ stack, passed: smokePassed(result.checks), ...result }, null, 2)}\n`,
    );
  return smokePassed(result.checks) ? 0 : 1;
}

// The verdict stands whatever the client library's teardown does.
if (require.main === module) runCli(SPEC, main, { cleanup: disposeClients, forceExit: true });
