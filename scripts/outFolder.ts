// An output folder, checked before any work is done: it must be (or be
// creatable as) a folder on a real filesystem that this process can write.
// Node's recursive mkdir loops for minutes on a path under /proc (ENOENT from
// the kernel, "parent exists", retry), so folders are made one level at a
// time, and the pseudo filesystems are refused outright: as root, a mkdir
// under /sys/fs/cgroup even creates a cgroup.
import { mkdirSync, realpathSync, statfsSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { InputError } from "./cli";

/** statfs(2) magic numbers of the kernel's pseudo filesystems (linux/magic.h). */
const PSEUDO_FILESYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, "procfs"],
  [0x62656572, "sysfs"],
  [0x27e0eb, "cgroupfs"],
  [0x63677270, "cgroup2fs"],
  [0x64626720, "debugfs"],
  [0x74726163, "tracefs"],
  [0x73636673, "securityfs"],
  [0xcafe4a11, "bpffs"],
]);
const PSEUDO_ROOTS = ["/proc", "/sys"];

const codeOf = (error: unknown) => (error as { code?: string }).code ?? String(error);

/** The deepest part of `path` that exists, and the parts below it that do not. */
function existingAncestor(flag: string, given: string, path: string): { existing: string; missing: string[] } {
  const missing: string[] = [];
  let current = path;
  for (;;) {
    let isDirectory: boolean | undefined;
    try {
      isDirectory = statSync(current, { throwIfNoEntry: false })?.isDirectory();
    } catch (error) {
      // ENOTDIR: a file higher up; keep climbing to name it.
      if (codeOf(error) !== "ENOTDIR")
        throw new InputError(`${flag} ${given}: cannot read ${current} (${codeOf(error)})`);
    }
    if (isDirectory === true) return { existing: current, missing };
    if (isDirectory === false)
      throw new InputError(
        `${flag} ${given}: ${current === path ? "it" : current} is not a folder; name a folder (it is created if missing)`,
      );
    missing.unshift(current);
    current = dirname(current);
  }
}

function pseudoFilesystem(real: string): string | undefined {
  const root = PSEUDO_ROOTS.find((r) => real === r || real.startsWith(r + sep));
  if (root) return `${root} (a kernel filesystem)`;
  const name = PSEUDO_FILESYSTEMS.get(Number(statfsSync(real).type));
  return name ? `${name} (a kernel filesystem)` : undefined;
}

export interface OutFolder {
  readonly path: string;
  /** Creates the folder (and missing parents, one level at a time); call once the output is ready. */
  create(): void;
}

/**
 * Checks that `given` (the value of `flag`) can hold the command's output,
 * without creating it yet: the deepest existing part must be a folder on a
 * real filesystem, and a probe file written there must be removable again.
 * Throws an InputError naming the flag and the fix.
 */
export function checkOutFolder(flag: string, given: string): OutFolder {
  const path = resolve(given);
  const { existing, missing } = existingAncestor(flag, given, path);
  const real = realpathSync(existing);
  const pseudo = pseudoFilesystem(real);
  if (pseudo)
    throw new InputError(
      `${flag} ${given} is on ${pseudo}, not a place for files; name a folder on a disk, e.g. ${flag} out`,
    );
  const probe = join(existing, `.roamcast-write-probe-${process.pid}`);
  try {
    writeFileSync(probe, "", { flag: "wx" });
    unlinkSync(probe);
  } catch (error) {
    throw new InputError(
      `${flag} ${given}: ${existing} is not writable (${codeOf(error)}); name a folder you can write to`,
    );
  }
  return {
    path,
    create() {
      for (const dir of missing) {
        try {
          mkdirSync(dir);
        } catch (error) {
          if (codeOf(error) !== "EEXIST")
            throw new InputError(`${flag} ${given}: cannot create ${dir} (${codeOf(error)})`);
        }
      }
    },
  };
}
