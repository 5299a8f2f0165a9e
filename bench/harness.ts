// The bench's Go load generator (tools/loadgen, CONTRACTS.md): a crowd of
// listeners (`loadgen listen --client lean|lean-polled|lean-ports|lean-addrs|sdk`) and the guides that publish
// with a lever's settings (`loadgen guide`). Each is one process fed JSON
// lines on stdin and reporting totals as a JSON line a second on stdout; it
// runs on the generator's core because this process already does.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { goTool } from "../local/processes";
import type { GuideSettings } from "./levers";
import type { DelayHistogram } from "./crowdDelay";
import { cpuSample, type CpuSample } from "./procStats";

export type CrowdClient = "lean" | "lean-polled" | "lean-ports" | "lean-addrs" | "sdk";

export interface CrowdReport {
  readonly connected: number;
  readonly failed: number;
  readonly subscribed: number;
  readonly packets: number;
  readonly bytes: number;
  /** RTP sequence-number gaps summed over every listener since start. */
  readonly lost: number;
  /** Connected, subscribed listeners that got no packet in the last second. */
  readonly silent: number;
  /** Packets by their delay variation (bench/crowdDelay.ts); loadgen builds before 2026-11-30 16:30 sent none. */
  readonly delay?: DelayHistogram;
}

export interface GuidesReport {
  readonly connected: number;
  readonly failed: number;
  readonly published: number;
  readonly packets: number;
  readonly bytes: number;
  /** Packets by how long after their slot was due the guide sent them; loadgen builds before 2026-11-30 17:00 sent none. */
  readonly late?: DelayHistogram;
}

export interface Join {
  readonly id: string;
  readonly url: string;
  readonly token: string;
}

/** A loadgen process: send it joins, read its latest totals, stop it. */
export interface Loadgen<R> {
  readonly pid: number;
  send(join: Join): void;
  /** Joins that failed and were sent again. */
  retried(): number;
  latest(): R;
  /** Failures it reported on stderr (one line each), the last few kept. */
  failures(): { count: number; last: string[] };
  /** Its CPU so far; a process that exited is an error, named with what it said. */
  cpu(): CpuSample;
  stop(): Promise<void>;
}

/** Most joins a process has in flight at once: a step's hundreds of joins at once time out on a busy LiveKit. */
export const JOIN_WINDOW = 50;
/** Times a participant whose join failed is sent again. */
const JOIN_RETRIES = 2;
const FAILED_JOIN = /^loadgen(?: guide)?: (\S+) could not (?:join|publish)/;

/**
 * A loadgen process fed joins at most JOIN_WINDOW ahead of what it reported
 * connected or failed, each failed join sent again up to JOIN_RETRIES times
 * (the failure lines name the participant).
 */
function startLoadgen<R extends { connected: number; failed: number }>(
  args: string[],
  empty: R,
  what: string,
): Loadgen<R> {
  const child: ChildProcess = spawn(goTool("loadgen"), args, { stdio: ["pipe", "pipe", "pipe"] });
  let latest = empty;
  let exited = false;
  const failures = { count: 0, last: [] as string[] };
  const queue: Join[] = [];
  const byId = new Map<string, Join>();
  const attempts = new Map<string, number>();
  let sent = 0;
  let retried = 0;
  const pump = () => {
    while (!exited && queue.length > 0 && sent - latest.connected - latest.failed < JOIN_WINDOW) {
      child.stdin!.write(`${JSON.stringify(queue.shift())}\n`);
      sent++;
    }
  };
  createInterface({ input: child.stdout! }).on("line", (line) => {
    try {
      latest = JSON.parse(line) as R;
    } catch {
      failures.count++;
      failures.last = [...failures.last.slice(-4), `${what} printed a line that is not JSON: ${line}`];
    }
    pump();
  });
  createInterface({ input: child.stderr! }).on("line", (line) => {
    failures.count++;
    failures.last = [...failures.last.slice(-4), line];
    const id = FAILED_JOIN.exec(line)?.[1];
    const join = id ? byId.get(id) : undefined;
    if (!id || !join || (attempts.get(id) ?? 0) >= JOIN_RETRIES) return;
    attempts.set(id, (attempts.get(id) ?? 0) + 1);
    retried++;
    queue.push(join);
  });
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      resolve();
    }),
  );
  // A closed stdin is the signal to leave; a write after that must not crash the bench.
  child.stdin!.on("error", () => {});
  return {
    pid: child.pid!,
    send: (join) => {
      if (exited) throw new Error(`${what} exited: ${failures.last.join(" / ")}`);
      byId.set(join.id, join);
      queue.push(join);
      pump();
    },
    latest: () => latest,
    failures: () => failures,
    retried: () => retried,
    cpu() {
      if (exited) throw new Error(`${what} exited: ${failures.last.join(" / ") || "(it said nothing)"}`);
      return cpuSample(child.pid!);
    },
    async stop() {
      if (exited) return;
      child.stdin!.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

const NO_CROWD: CrowdReport = { connected: 0, failed: 0, subscribed: 0, packets: 0, bytes: 0, lost: 0, silent: 0 };
const NO_GUIDES: GuidesReport = { connected: 0, failed: 0, published: 0, packets: 0, bytes: 0 };

export type Crowd = Loadgen<CrowdReport> & { readonly client: CrowdClient };

/**
 * What each lean listener sends LiveKit about its audio (tools/loadgen/listen_lean_reports.go): "phone", a receiver
 * report about every 5 s as libwebrtc sends for audio — what the benchmark measures with; "sdk", a receiver and an
 * extended report every second as the SDK crowd's pion interceptors send — the cross-check's twin of the SDK crowd;
 * "none".
 */
export type CrowdReports = "none" | "phone" | "sdk";
export const CROWD_REPORTS: CrowdReports = "phone";

/** The listener crowd; `lean` counts packets on one socket, `sdk` is built like LiveKit's own load tester. */
export function startCrowd(client: CrowdClient, reports?: CrowdReports): Crowd {
  const args = ["listen", "--client", client, ...(reports && reports !== "none" ? ["--reports", reports] : [])];
  return { ...startLoadgen(args, NO_CROWD, `loadgen ${args.join(" ")}`), client };
}

export type Guides = Loadgen<GuidesReport> & { join(join: Join, settings: GuideSettings): void };

/** Go guides publishing a phone's Opus packets with the lever's frame size, RED, DTX and speech share. */
export function startGuides(): Guides {
  const loadgen = startLoadgen(["guide"], NO_GUIDES, "loadgen guide");
  return { ...loadgen, join: (join, settings) => loadgen.send({ ...join, ...settings }) };
}
