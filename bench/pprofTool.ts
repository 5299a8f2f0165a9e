// LiveKit's CPU profile over a window, from its debug endpoint (livekit.yaml
// `debug_handler.port`), and read with `go tool pprof`: what share of the
// window's samples a kind of work took (bench/pprofShares.ts reads the text).
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { goTool } from "../local/processes";
import { focusedSeconds, PPROF_EVERY_NODE, profileTotal } from "./pprofShares";

/** `go tool pprof -top` with every node shown, focused on `focus` if given, against the livekit-server binary. */
export function pprofTop(profile: string, focus?: string): string {
  const args = ["tool", "pprof", ...PPROF_EVERY_NODE, ...(focus ? [`-focus=${focus}`] : []), goTool("livekit-server")];
  const run = spawnSync("go", [...args, profile], { encoding: "utf8" });
  if (run.error) throw new Error(`go tool pprof could not run (${run.error.message}): install Go to read the profiles`);
  if (run.status !== 0) throw new Error(`go tool pprof failed on ${profile}: ${run.stderr.slice(0, 400)}`);
  return run.stdout;
}

/** Share of the profile's samples whose stacks pass through `focus`. */
export function profileShare(profile: string, focus: string): number {
  const total = profileTotal(pprofTop(profile)).totalSeconds;
  return total > 0 ? focusedSeconds(pprofTop(profile, focus)) / total : 0;
}

/** Asks LiveKit for a CPU profile of the next `seconds` and writes it to `file` when the window ends. */
export async function profileWindow(debugPort: number, seconds: number, file: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${debugPort}/debug/pprof/profile?seconds=${seconds}`);
  if (!res.ok)
    throw new Error(`LiveKit's profile endpoint answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  return file;
}
