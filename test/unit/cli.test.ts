// Every command-line face, run as a user runs it: `--help` answers with the
// usage on stdout and exit 0, and a bad argument gets one line on stderr that
// names it, exit 2, and never a stack trace.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError, numberOption, parseCli } from "../../scripts/cli";
import { capacityReport } from "../../scripts/capacity";
import { checkOutFolder } from "../../scripts/outFolder";
import { tempDir, writeTemp } from "../../local/temp";

const root = join(__dirname, "..", "..");
const tsx = join(root, "node_modules", ".bin", "tsx");

/** Runs a CLI with no cloud credentials, no database and no smoke users in its environment. */
function run(script: string, args: string[]) {
  const started = performance.now();
  const result = spawnSync(tsx, [join(root, script), ...args], {
    cwd: root,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
    input: "",
    timeout: 20_000,
  });
  return { ...result, ms: performance.now() - started };
}

interface CliCase {
  /** How the usage names the command. */
  readonly usage: string;
  /** Bad arguments, each with what the one line must say. */
  readonly bad: readonly { args: string[]; says: string }[];
}

const CLIS: Readonly<Record<string, CliCase>> = {
  "scripts/render.ts": {
    usage: "usage: npm run render -- --stack <name> --out <dir>",
    bad: [
      { args: ["--stack", "dev", "--colour", "red"], says: "unknown option --colour" },
      { args: ["--stack"], says: "--stack needs a value" },
    ],
  },
  "scripts/capacity.ts": {
    usage: "usage: npm run capacity -- [--stack <name>]",
    bad: [
      { args: ["--stak", "dev"], says: "unknown option --stak" },
      { args: ["--stack"], says: "--stack needs a value" },
      { args: ["--stack", ""], says: "--stack is required" },
    ],
  },
  "scripts/migrate.ts": {
    usage: "usage: npm run migrate -- <status|up|apply-one|revert-one|revert <version> [--allow-data-loss]>",
    bad: [
      { args: ["frobnicate"], says: 'unknown command "frobnicate"' },
      { args: ["status", "--db-url"], says: "--db-url needs a value" },
    ],
  },
  "scripts/smoke.ts": {
    usage: "usage: npm run smoke -- --stack <name>",
    bad: [
      { args: ["--stack", "dev", "--measure", "-1"], says: '--measure must be a positive number, not "-1"' },
      {
        args: ["--stack", "dev", "--listeners", "two"],
        says: '--listeners must be a positive whole number, not "two"',
      },
      { args: ["--stack", "dev", "--verbose"], says: "unknown option --verbose" },
    ],
  },
  "scripts/up.ts": {
    usage: "usage: npm run up -- --stack <name> [--keep N] [--backup-only] [-- <pulumi up options>]",
    bad: [
      { args: ["--keep", "3"], says: "--stack is required" },
      { args: ["--stack", "dev", "--keep", "0"], says: '--keep must be a whole number at least 1, not "0"' },
      { args: ["--stack", "dev", "--yes"], says: "unknown option --yes" },
    ],
  },
  "scripts/supabase-api.ts": {
    usage: "usage: tsx scripts/supabase-api.ts <set-secrets|unset-secrets --yes> --project-ref <ref>",
    bad: [
      { args: ["set-secrets", "--project-ref"], says: "--project-ref needs a value" },
      { args: ["rotate-secrets", "--project-ref", "abc"], says: 'unknown command "rotate-secrets"' },
    ],
  },
  "bench/capacity.ts": {
    usage: "usage: npm run bench:capacity --",
    bad: [
      { args: ["--listeners", "0"], says: '--listeners must be a positive whole number, not "0"' },
      { args: ["--levers", "turbo"], says: '--levers: unknown lever "turbo"; the levers are: baseline, RED off' },
      {
        args: ["--generator-limit", "2"],
        says: '--generator-limit must be a number above 0 and at most 1, not "2"',
      },
      { args: ["--livekit-cpu", "0.25"], says: "unknown option --livekit-cpu" },
      { args: ["--cross-check-rounds", "0"], says: '--cross-check-rounds must be a positive whole number, not "0"' },
      { args: ["--lever-rounds", "1.5"], says: '--lever-rounds must be a positive whole number, not "1.5"' },
      { args: ["--lever-tours", "0"], says: '--lever-tours must be a positive whole number, not "0"' },
      { args: ["--lever-steps", "3"], says: "unknown option --lever-steps" },
      {
        args: ["--livekit-profile", "/proc/x"],
        says: "--livekit-profile /proc/x is on /proc (a kernel filesystem), not a place for files",
      },
    ],
  },
  "bench/crowdProfiles.ts": {
    usage:
      "usage: npm run bench:crowd-profiles -- [--crowds none,phone,sdk-reports,sdk,rendered] [--tours 10] [--hold 40]",
    bad: [
      {
        args: ["--crowds", "phone,polled"],
        says: '--crowds: unknown "polled"; the crowds are none, phone, sdk-reports, sdk, rendered',
      },
      { args: ["--tours", "0"], says: '--tours must be a whole number at least 1 and at most 40, not "0"' },
      { args: ["--hold", "2"], says: '--hold must be a whole number at least 5 and at most 600, not "2"' },
      { args: ["--out", "/proc/x"], says: "--out /proc/x is on /proc (a kernel filesystem), not a place for files" },
    ],
  },
  "bench/restarts.ts": {
    usage: "usage: npm run bench:restarts -- [--listeners 5] [--livekit-grace 30] [--settle 3] [--recover 60]",
    bad: [
      { args: ["--listeners", "0"], says: '--listeners must be a positive whole number, not "0"' },
      { args: ["--colour"], says: "unknown option --colour" },
    ],
  },
  "bench/tokens.ts": {
    usage: "usage: npm run bench:tokens -- [--concurrency 30,300] [--rounds 5] [--warmup 2]",
    bad: [
      {
        args: ["--concurrency", "30,0"],
        says: '--concurrency must be a whole number above 0 and at most 2000, not "0"',
      },
      { args: ["--concurrency", "30,"], says: '--concurrency must be whole numbers separated by commas, not "30,"' },
      { args: ["--rounds", "x"], says: '--rounds must be a positive whole number, not "x"' },
    ],
  },
  "bench/rerender.ts": {
    usage: "usage: npm run bench:report -- [dir]",
    bad: [
      { args: ["--colour"], says: "unknown option --colour" },
      { args: ["/nonexistent-roamcast-results"], says: "/nonexistent-roamcast-results" },
    ],
  },
};

/** Every file that runs as a command: a `require.main === module` entry under scripts/, and the bench's. */
function commandFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts") && readFileSync(path, "utf8").includes("require.main === module"))
        found.push(relative(root, path));
    }
  };
  walk(join(root, "scripts"));
  walk(join(root, "bench"));
  return found.sort();
}

const STACK_FRAME = /^\s+at /m;

describe("every command-line face", () => {
  it("is in this table, and every entry is a command", () => {
    expect(commandFiles()).toEqual(Object.keys(CLIS).sort());
  });

  describe.each(Object.entries(CLIS))("%s", (script, cli) => {
    it.each(["--help", "-h"])("answers %s with its usage on stdout, exit 0", (flag) => {
      const result = run(script, [flag]);
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      expect(result.stdout.startsWith(cli.usage)).toBe(true);
      // A usage that explains its options, not just the synopsis.
      expect(result.stdout.trim().split("\n").length).toBeGreaterThan(2);
    });

    it.each(cli.bad)("refuses $args with one line naming it, exit 2", ({ args, says }) => {
      const result = run(script, args);
      expect(result.stdout).toBe("");
      expect(result.stderr).not.toMatch(STACK_FRAME);
      expect(result.stderr.trimEnd().split("\n")).toEqual([expect.stringContaining(says)]);
      expect(result.status).toBe(2);
    });
  });

  it("capacity prints the plan of every stack file without --stack, and one stack's with it", () => {
    const all = run("scripts/capacity.ts", []);
    expect(all.stderr).toBe("");
    expect(all.status).toBe(0);
    expect(all.stdout.trimEnd().split("\n")).toEqual([...capacityReport(root, "dev"), ...capacityReport(root, "prod")]);
    const prod = run("scripts/capacity.ts", ["--stack", "prod"]);
    expect(prod.stdout.trimEnd().split("\n")).toEqual(capacityReport(root, "prod"));
  });

  it("bench:capacity --help starts nothing: no platform, no load, at once", () => {
    const result = run("bench/capacity.ts", ["--help"]);
    expect(result.status).toBe(0);
    // Starting the platform alone takes longer than this, and prints its idle figures.
    expect(result.ms).toBeLessThan(10_000);
    expect(result.stdout).not.toContain("idle:");
  });
});

describe("the shared argument helpers", () => {
  const spec = {
    usage: "usage: npm run x -- --n <count>",
    help: "",
    options: { n: { type: "string" }, quiet: { type: "boolean" } },
  } as const;

  it("reads a negative number as the option's value, so the range check can name it", () => {
    expect(parseCli(spec, ["--n", "-1"]).values.n).toBe("-1");
    expect(() => numberOption("n", "-1", { above: 0 })).toThrow('--n must be a positive number, not "-1"');
  });

  it("says what a number must be, from its rule", () => {
    expect(() => numberOption("n", "1.5", { integer: true, above: 0 })).toThrow(
      '--n must be a positive whole number, not "1.5"',
    );
    expect(() => numberOption("n", "0x10", { atLeast: 0 })).toThrow('--n must be a number at least 0, not "0x10"');
    expect(() => numberOption("n", "", { above: 0, below: 1 })).toThrow(
      '--n must be a number above 0 and below 1, not ""',
    );
    expect(numberOption("n", "0.25", { above: 0, atMost: 1 })).toBe(0.25);
  });

  it("turns parseArgs' errors into input errors that name the argument, with the usage", () => {
    const problem = (argv: string[]) => {
      try {
        parseCli(spec, argv);
      } catch (error) {
        expect(error).toBeInstanceOf(InputError);
        return (error as Error).message;
      }
      return "parsed";
    };
    expect(problem(["--nn", "1"])).toBe("unknown option --nn — usage: npm run x -- --n <count>");
    expect(problem(["--n"])).toBe("--n needs a value — usage: npm run x -- --n <count>");
    expect(problem(["--quiet=yes"])).toBe("--quiet takes no value — usage: npm run x -- --n <count>");
    expect(problem(["stray"])).toBe('unexpected argument "stray" — usage: npm run x -- --n <count>');
    expect(() => parseCli(spec, []).required("n")).toThrow("--n is required — usage: npm run x -- --n <count>");
  });

  it("checks an output folder without creating it, and creates it one level at a time when asked", () => {
    const out = join(tempDir(), "a", "b");
    const folder = checkOutFolder("--out", out);
    expect(readdirSync(join(out, "..", "..")).length).toBe(0);
    folder.create();
    expect(readdirSync(out)).toEqual([]);
    expect(() => checkOutFolder("--out", writeTemp("file", ""))).toThrow("is not a folder");
    expect(() => checkOutFolder("--out", "/sys/fs/cgroup/roamcast")).toThrow("not a place for files");
  });
});
