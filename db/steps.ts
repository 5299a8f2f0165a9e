// What a migration's resource does in `pulumi preview` and `pulumi up`, as
// pure functions over the resource's inputs: which inputs are wrong (check),
// and what a change means (diff). The dynamic provider in
// components/migrations.ts calls these; Pulumi serialises them into it.
import { renameReason } from "./identity";
import { splitStatements } from "./statements";

/** A migration resource's inputs (the database URL a Pulumi secret). */
export interface MigrationInputs {
  readonly version: string;
  readonly name: string;
  readonly up: string;
  readonly down: string;
  readonly dbUrl: string;
  /** Whether its down SQL may delete rows (the stack's allowDataLossMigrations). */
  readonly allowDataLoss: boolean;
}

export interface CheckFailure {
  readonly property: string;
  readonly reason: string;
}

const same = (a: string, b: string) => JSON.stringify(splitStatements(a)) === JSON.stringify(splitStatements(b));

/** Each input that is malformed, named, with what it must be. */
function inputProblems(news: Record<string, unknown>): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const text = (key: string, pattern: RegExp, what: string) => {
    const value = news[key];
    if (typeof value !== "string" || !pattern.test(value)) failures.push({ property: key, reason: `${key} ${what}` });
  };
  text("version", /^\d{14}$/, "must be the migration's 14-digit version (its file name's first part)");
  text("name", /^[a-z0-9_]+$/, "must be the migration's lower_snake name (its file name after the version)");
  text("up", /\S/, "must hold the migration's SQL (migrations/<id>.sql)");
  text("down", /\S/, "must hold the SQL that undoes it (migrations/down/<id>.sql)");
  text("dbUrl", /^postgres(ql)?:\/\//, "must be a postgresql:// URL (the stack's supabaseDbUrl secret)");
  if (typeof news.allowDataLoss !== "boolean")
    failures.push({ property: "allowDataLoss", reason: "allowDataLoss must be true or false" });
  return failures;
}

/**
 * Why the new inputs may not replace the recorded ones: an applied migration
 * renamed or edited. Its identity is its version, so this is refused at
 * preview, before anything runs (a replace would run the down SQL).
 */
export function checkMigration(olds: Record<string, unknown>, news: Record<string, unknown>): CheckFailure[] {
  const failures = inputProblems(news);
  if (failures.length || typeof olds.version !== "string") return failures;
  const [oldId, newId] = [`${olds.version}_${String(olds.name)}`, `${news.version}_${String(news.name)}`];
  if (olds.name !== news.name) return [{ property: "name", reason: renameReason(String(news.version), oldId, newId) }];
  if (!same(String(olds.up), String(news.up)))
    return [
      {
        property: "up",
        reason:
          `refused: applied migration ${newId} edited (its statements differ from the applied ones): ` +
          "restore the file and put the change in a new migration with a later version",
      },
    ];
  return [];
}

/** The inputs whose change the preview shows as an update; none of them re-runs or reverts the migration. */
export function changedInputs(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
  const changed: string[] = [];
  if (olds.dbUrl !== news.dbUrl) changed.push("dbUrl");
  if (olds.allowDataLoss !== news.allowDataLoss) changed.push("allowDataLoss");
  if (olds.down !== news.down) changed.push("down");
  if (olds.up !== news.up) changed.push("up");
  return changed;
}
