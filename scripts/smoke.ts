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
import { parseArgs } from "node:util";
import { runSmoke } from "./smoke/flow";
import { disposeClients } from "../tour/rooms";
import { parseSmokeTarget, readSmokeUsers, SmokeInputError } from "./smoke/inputs";
import { DEFAULT_THRESHOLDS, formatSmokeReport, smokePassed } from "./smoke/report";

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

function positive(name: string, raw: string, integer = false): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new SmokeInputError([
      `--${name} must be a positive ${integer ? "whole number" : "number"}, not ${JSON.stringify(raw)}`,
    ]);
  }
  return value;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
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
  });
  if (!values.stack) throw new SmokeInputError(["--stack is required: the stack to test, e.g. --stack dev"]);
  const listeners = positive("listeners", values.listeners, true);
  const measureMs = positive("measure", values.measure) * 1000;
  const maxLoss = positive("max-loss", values["max-loss"]);
  if (maxLoss >= 1)
    throw new SmokeInputError([`--max-loss is a share of markers, below 1 (0.02 is 2 %), not ${values["max-loss"]}`]);
  const thresholds = { maxLatencyP95Ms: positive("max-latency-ms", values["max-latency-ms"]), maxLoss };
  if (values.json) {
    // Found out now, not after a run whose report then has nowhere to go.
    try {
      accessSync(dirname(resolve(values.json)), constants.W_OK);
    } catch {
      throw new SmokeInputError([
        `--json ${values.json}: its folder does not exist or is not writable; name a file in a writable folder`,
      ]);
    }
  }
  const target = parseSmokeTarget(stackOutputs(values.stack, values.outputs), {
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
  console.log(formatSmokeReport(values.stack, result.checks, result.figures));
  if (values.json)
    writeFileSync(
      values.json,
      `${JSON.stringify({ stack: values.stack, passed: smokePassed(result.checks), ...result }, null, 2)}\n`,
    );
  return smokePassed(result.checks) ? 0 : 1;
}

main()
  // The verdict stands whatever the client library's teardown does.
  .then(async (code) => {
    await disposeClients();
    process.exit(code);
  })
  .catch(async (error: unknown) => {
    console.error(error instanceof SmokeInputError ? error.message : error);
    await disposeClients();
    process.exit(2);
  });
