// Down migrations that would delete data refuse to, unless the caller allows
// the loss for that one migration. The refusal lives in each down file (a
// guard block that knows which tables and columns hold what); the migrator
// only passes the allowance in, as a transaction-local setting, and turns the
// guard's SQLSTATE into a message saying what to do.
import { splitStatements } from "./statements";

/** Set to 'on', for one transaction, when data loss is allowed for the migration being reverted. */
export const ALLOW_DATA_LOSS_SETTING = "roamcast.allow_data_loss";
/** The SQLSTATE a down file's guard raises when it refuses. */
export const DATA_LOSS_SQLSTATE = "RD001";

const DESTRUCTIVE = /^\s*(drop\s+(table|schema|materialized\s+view)|truncate|delete\s+from)\b|\bdrop\s+column\b/i;

function withoutComments(statement: string): string {
  return statement.replace(/--[^\n]*(\n|$)/g, " ").replace(/\/\*[\s\S]*?\*\//g, " ");
}

/** The statements of a down file that delete data: dropped tables, schemas and columns, truncates, deletes. */
export function destructiveStatements(down: string): string[] {
  return splitStatements(down)
    .map(withoutComments)
    .filter((s) => !/^\s*do\s/i.test(s) && DESTRUCTIVE.test(s));
}

/** Why a down file that deletes data lacks its guard, or undefined. */
export function dataGuardProblem(down: string): string | undefined {
  const destructive = destructiveStatements(down);
  if (destructive.length === 0) return undefined;
  const first = withoutComments(splitStatements(down)[0] ?? "");
  const guarded =
    /^\s*do\s/i.test(first) && first.includes(ALLOW_DATA_LOSS_SETTING) && first.includes(DATA_LOSS_SQLSTATE);
  if (guarded) return undefined;
  const what = destructive[0]!.trim().split(/\s+/).slice(0, 6).join(" ");
  return (
    `its down file deletes data ("${what} …") without a guard: begin it with a do-block that raises ` +
    `SQLSTATE ${DATA_LOSS_SQLSTATE} when those tables or columns hold data, unless ` +
    `current_setting('${ALLOW_DATA_LOSS_SETTING}', true) = 'on' (as migrations/down/20261125100100_livekit_rooms.sql does)`
  );
}
