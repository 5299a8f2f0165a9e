// The one way every command here reads its arguments and ends: `--help` (or
// `-h`) prints the usage on stdout and exits 0; a bad argument is one line on
// stderr naming it and the fix, exit 2; any other failure is its message on
// stderr, exit 1. None of them prints a stack trace, which tells a user nothing
// they can fix (ROAMCAST_DEBUG=1 prints it, for a bug report).
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";

/** A problem the user can fix by changing the arguments or the input: exit 2. */
export class InputError extends Error {
  override name = "InputError";
}

export interface CliSpec<O extends ParseArgsOptionsConfig> {
  /** One line, `usage: npm run <name> -- …`; repeated after every argument error. */
  readonly usage: string;
  /** What the command does and what each option means, printed by --help below the usage. */
  readonly help: string;
  readonly options: O;
  /** How many positional arguments the command takes at most (none unless said). */
  readonly positionals?: number;
}

type ParsedArgs<O extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
>;

export interface Cli<O extends ParseArgsOptionsConfig> {
  readonly values: ParsedArgs<O>["values"];
  readonly positionals: string[];
  /** Throws the one-line error for `problem`, with the usage after it. */
  fail(problem: string): never;
  /** The value of a string option the command cannot run without. */
  required(name: Extract<keyof O, string>): string;
}

const HELP = new Set(["--help", "-h"]);

/** True when the user asked for help (before any `--`, after which arguments are data). */
function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => HELP.has(a));
}

/** `--measure -1` means the value -1: parseArgs would read "-1" as an option, so join the pair. */
function joinNegativeValues(argv: readonly string[], options: ParseArgsOptionsConfig): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const name = arg.startsWith("--") ? arg.slice(2) : undefined;
    if (name && options[name]?.type === "string" && next !== undefined && /^-\.?\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** parseArgs' own errors, as one line that names the argument. */
function argumentProblem(error: unknown): string | undefined {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : "";
  const quoted = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? /'([^']*)'/.exec(message)?.[1] ?? "";
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown option ${quoted}`;
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return `unexpected argument ${JSON.stringify(quoted)}`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE")
    return /does not take an argument/.test(message) ? `${quoted} takes no value` : `${quoted} needs a value`;
  return undefined;
}

export function parseCli<O extends ParseArgsOptionsConfig>(spec: CliSpec<O>, argv: readonly string[]): Cli<O> {
  const fail = (problem: string): never => {
    throw new InputError(`${problem} — ${spec.usage}`);
  };
  let parsed: ParsedArgs<O>;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(argv, spec.options),
      options: spec.options,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const problem = argumentProblem(error);
    if (problem === undefined) throw error;
    return fail(problem);
  }
  const extra = parsed.positionals[spec.positionals ?? 0];
  if (extra !== undefined) fail(`unexpected argument ${JSON.stringify(extra)}`);
  const values = parsed.values as Record<string, unknown>;
  return {
    values: parsed.values,
    positionals: parsed.positionals,
    fail,
    required: (name) => {
      const value = values[name];
      return typeof value === "string" && value !== "" ? value : fail(`--${name} is required`);
    },
  };
}

export interface NumberRule {
  readonly integer?: boolean;
  readonly above?: number;
  readonly atLeast?: number;
  readonly atMost?: number;
  readonly below?: number;
}

function describeRule(rule: NumberRule): string {
  const kind = rule.integer ? "whole number" : "number";
  const bounds = [
    rule.above !== undefined && `above ${rule.above}`,
    rule.atLeast !== undefined && `at least ${rule.atLeast}`,
    rule.atMost !== undefined && `at most ${rule.atMost}`,
    rule.below !== undefined && `below ${rule.below}`,
  ].filter((b): b is string => typeof b === "string");
  if (bounds.length === 1 && rule.above === 0) return `a positive ${kind}`;
  return bounds.length ? `a ${kind} ${bounds.join(" and ")}` : `a ${kind}`;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** The number an option holds, or the one-line error saying what it must be. */
export function numberOption(name: string, raw: string, rule: NumberRule): number {
  const value = NUMBER.test(raw.trim()) ? Number(raw) : Number.NaN;
  const ok =
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    (rule.above === undefined || value > rule.above) &&
    (rule.atLeast === undefined || value >= rule.atLeast) &&
    (rule.atMost === undefined || value <= rule.atMost) &&
    (rule.below === undefined || value < rule.below);
  if (!ok) throw new InputError(`--${name} must be ${describeRule(rule)}, not ${JSON.stringify(raw)}`);
  return value;
}

function describeFailure(error: unknown): string {
  if (process.env.ROAMCAST_DEBUG && error instanceof Error && error.stack) return error.stack;
  return error instanceof Error ? error.message : String(error);
}

export interface RunOptions {
  /** Runs after main, whatever it did (e.g. closing client libraries). */
  readonly cleanup?: () => Promise<unknown>;
  /** End the process at once with the verdict, whatever handles are still open. */
  readonly forceExit?: boolean;
}

/** Parses the arguments, runs `main` and ends the process with its exit code. */
export function runCli<O extends ParseArgsOptionsConfig>(
  spec: CliSpec<O>,
  main: (cli: Cli<O>) => number | Promise<number>,
  options: RunOptions = {},
  argv: readonly string[] = process.argv.slice(2),
): void {
  if (wantsHelp(argv)) {
    process.stdout.write(`${spec.usage}\n\n${spec.help.trim()}\n`);
    process.exitCode = 0;
    return;
  }
  const end = async (code: number) => {
    await options.cleanup?.().catch(() => {});
    if (options.forceExit) process.exit(code);
    process.exitCode = code;
  };
  Promise.resolve()
    .then(() => main(parseCli(spec, argv)))
    .then(end, (error: unknown) => {
      console.error(describeFailure(error));
      return end(error instanceof InputError ? 2 : 1);
    });
}
