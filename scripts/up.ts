// npm run up -- --stack <name> [--keep N] [--backup-only] [-- <pulumi up options>]
// Backs the stack's state up (scripts/up/backup.ts), then runs `pulumi up`;
// the deploy workflow takes the backup alone and runs its up through pulumi/actions.
import { resolve } from "node:path";
import { numberOption, runCli } from "./cli";
import { backedUpUp, backupState, DEFAULT_KEEP, describeBackup } from "./up/backup";

const projectDir = resolve(__dirname, "..");

const SPEC = {
  usage: "usage: npm run up -- --stack <name> [--keep N] [--backup-only] [-- <pulumi up options>]",
  help: `
Saves the stack's state with \`pulumi stack export --show-secrets=false\` (secrets stay
encrypted) to backups/<stack>/<stack>-<UTC time>.json, keeps the newest N, and only then
runs \`pulumi up --stack <name>\` with the options after \`--\`. If the export fails,
pulumi up does not run. A stack with no resources yet gets no backup (a note says so).
Restore one with \`pulumi stack import --stack <name> --file <backup>\` (README: State backups).

  --stack <name>   the stack (required)
  --keep <N>       how many backups of this stack to keep (default ${DEFAULT_KEEP})
  --dir <dir>      where backups go (default backups/)
  --backup-only    take the backup and stop (the deploy workflow's step before its up)
  -h, --help       this text

  npm run up -- --stack dev -- --diff --yes
`,
  options: {
    stack: { type: "string" },
    keep: { type: "string" },
    dir: { type: "string" },
    "backup-only": { type: "boolean" },
  },
  positionals: Number.MAX_SAFE_INTEGER,
} as const;

if (require.main === module)
  runCli(SPEC, (cli) => {
    const keep =
      cli.values.keep === undefined
        ? DEFAULT_KEEP
        : numberOption("keep", cli.values.keep, { integer: true, atLeast: 1 });
    const options = {
      stack: cli.required("stack"),
      keep,
      dir: resolve(cli.values.dir ?? resolve(projectDir, "backups")),
      cwd: projectDir,
    };
    const log = (line: string) => console.error(line);
    if (cli.values["backup-only"]) {
      describeBackup(backupState(options), options.stack, keep).forEach(log);
      return 0;
    }
    return backedUpUp({ ...options, upArgs: cli.positionals }, log);
  });
