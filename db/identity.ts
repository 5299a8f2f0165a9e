// Whether migrations/ still holds the migrations that were applied, by the
// identities Pulumi recorded (version → "<id> sha256:<statements hash>", from
// db/plan.ts). Pulumi serialises this module's functions into the dynamic
// provider that checks them at preview, so it imports nothing.

export function renameReason(version: string, appliedId: string, nowId: string): string {
  return (
    `migration ${version} was applied as ${appliedId}, but migrations/ now names it ${nowId}: ` +
    `a migration's identity is its version. Rename the file and its down file back to ${appliedId}.sql; ` +
    "to change what a migration does, add a new migration with a later version"
  );
}

/**
 * The versions whose identity differs between what was recorded and what
 * migrations/ holds now, each with why and what to do. A version that is new,
 * or that was removed (a revert), is no conflict.
 */
export function identityConflicts(
  recorded: Readonly<Record<string, unknown>>,
  current: Readonly<Record<string, unknown>>,
): { property: string; reason: string }[] {
  const conflicts: { property: string; reason: string }[] = [];
  for (const [version, now] of Object.entries(current)) {
    const before = recorded[version];
    if (!/^\d{14}$/.test(version) || typeof before !== "string" || typeof now !== "string" || before === now) continue;
    const [beforeId, nowId] = [before.split(" ")[0], now.split(" ")[0]];
    const reason =
      beforeId !== nowId
        ? renameReason(version, beforeId!, nowId!)
        : `migration ${nowId} was changed after it was applied (its statements differ from the applied ones): ` +
          "restore the file and put the change in a new migration with a later version";
    conflicts.push({ property: version, reason });
  }
  return conflicts;
}
