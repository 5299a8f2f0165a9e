// Pure planning of the operators' Hetzner SSH keys: each key is named by its
// fingerprint, so removing one key never renames (and so never re-creates)
// the others. Hetzner refuses a second key with the same fingerprint, which
// is what failed `up` when keys were named by their place in the list.
import { createHash } from "node:crypto";

export interface OperatorKeyPlan {
  readonly publicKey: string;
  /** First 16 hex digits of the SHA-256 of the key blob (the comment is not part of it). */
  readonly fingerprint: string;
  /** The key's place in the configured list: the name that stacks created before fingerprints used. */
  readonly index: number;
}

const FINGERPRINT_HEX_DIGITS = 16;

/** SHA-256 of the base64 key blob, as `ssh-keygen -l` hashes it, in hex. */
export function sshKeyFingerprint(publicKey: string): string {
  const blob = publicKey.trim().split(/\s+/)[1];
  const decoded = blob && /^[A-Za-z0-9+/]+={0,2}$/.test(blob) ? Buffer.from(blob, "base64") : undefined;
  if (!decoded || decoded.length < 16) {
    throw new Error(
      `sshKeyFingerprint: "${publicKey.slice(0, 40)}…" is not an OpenSSH public key line ("<type> <base64 blob> [comment]")`,
    );
  }
  return createHash("sha256").update(decoded).digest("hex");
}

/** One plan per distinct key (a key listed twice is registered once), in list order. */
export function planOperatorKeys(publicKeys: readonly string[]): OperatorKeyPlan[] {
  const seen = new Set<string>();
  const plans: OperatorKeyPlan[] = [];
  publicKeys.forEach((publicKey, index) => {
    const fingerprint = sshKeyFingerprint(publicKey).slice(0, FINGERPRINT_HEX_DIGITS);
    if (seen.has(fingerprint)) return;
    seen.add(fingerprint);
    plans.push({ publicKey, fingerprint, index });
  });
  return plans;
}
