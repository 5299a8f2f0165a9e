// Runs the guide and the probe listeners in a child process (probeProcess.ts)
// and gives the caller their markers and onsets on the shared nowMs() clock.
// Tokens go over the IPC channel, never argv.
import { type ChildProcess, fork, spawn } from "node:child_process";
import { setPriority } from "node:os";
import { join } from "node:path";
import type { RtcConfiguration } from "@livekit/rtc-node";
import type { IcePath, ReceivedAudio } from "./icePath";

export type ProbeCommand =
  | { kind: "guide"; url: string; token: string; red?: boolean }
  | { kind: "listen"; id: string; url: string; token: string; rtcConfig?: RtcConfiguration }
  | { kind: "path"; id: string }
  | { kind: "stop" };

export type ProbeMessage =
  | { kind: "guiding"; identity: string }
  | { kind: "listening"; id: string; joinMs: number }
  | { kind: "marker"; at: number }
  | { kind: "onset"; id: string; at: number }
  | { kind: "path"; id: string; path: IcePath | null; audio: ReceivedAudio }
  | { kind: "failed"; command: ProbeCommand["kind"]; id?: string; message: string }
  | { kind: "stopped" };

export interface ProbePhones {
  /** When each of the guide's markers entered its track. */
  readonly markers: readonly number[];
  /** Markers sent in a window: the signal's own health, before blaming the listeners. */
  markersBetween(from: number, to: number): number;
  /** Onsets each probe heard, by listener id. */
  onsets(id: string): readonly number[];
  /** Joins the room as the guide and publishes the signal; resolves with the guide's identity. */
  guide(url: string, token: string, options?: { red?: boolean }): Promise<string>;
  /**
   * Joins as a listener that times the markers; resolves with its join time in ms.
   * `rtcConfig` replaces LiveKit's ICE servers (to force one path).
   */
  listen(id: string, url: string, token: string, rtcConfig?: RtcConfiguration): Promise<number>;
  /** Resolves once the probe has heard a marker. */
  firstOnset(id: string, timeoutMs: number): Promise<number>;
  /** The ICE path a listener's media arrives on now (null while none is selected), and what it received so far. */
  icePath(id: string): Promise<{ path: IcePath | null; audio: ReceivedAudio }>;
  stop(): Promise<void>;
}

export interface ProbeOptions {
  readonly timeoutMs?: number;
  /** A network namespace (`ip netns`) to run the phones in: a listener on another network. */
  readonly netns?: string;
  /** Extra environment, e.g. SSL_CERT_FILE for a test CA. */
  readonly env?: NodeJS.ProcessEnv;
}

/** The probe process, started ahead of the caller's other work in the scheduler. */
function forkProbeProcess(options: ProbeOptions): ChildProcess {
  const script = join(__dirname, "probeProcess.ts");
  const spawnOptions = {
    cwd: join(__dirname, ".."),
    env: { ...process.env, ...options.env, NODE_ENV: "production" },
    stdio: ["ignore", "ignore", "inherit", "ipc"] as ("ignore" | "inherit" | "ipc")[],
  };
  // `ip netns exec` enters the namespace and execs node, which keeps the IPC channel's descriptor.
  const child = options.netns
    ? spawn("ip", ["netns", "exec", options.netns, process.execPath, "--import", "tsx", script], spawnOptions)
    : fork(script, [], { ...spawnOptions, execArgv: ["--import", "tsx"] });
  // Each phone has a CPU of its own; here the measuring ones share two cores
  // with a crowd of test clients. Ahead of that crowd in the scheduler, their
  // timestamps are the platform's latency, not the harness's queueing. Raising
  // priority needs root (CI has it); without it they run at normal priority.
  try {
    if (child.pid !== undefined) setPriority(child.pid, -5);
  } catch {
    // EACCES: not root; the measurement still runs, only less sheltered.
  }
  return child;
}

/** What the probe process reported, and a way to wait for its next answer. */
interface ProbeChannel {
  readonly markers: number[];
  readonly onsets: Map<string, number[]>;
  readonly exited: Promise<void>;
  exitCode(): number | null | undefined;
  /** Waits for the first message `pick` accepts; a failure of the same command, the process's exit or the timeout rejects. */
  awaitMessage<T>(
    what: string,
    command: ProbeCommand["kind"],
    id: string | undefined,
    pick: (m: ProbeMessage) => T | undefined,
    ms?: number,
  ): Promise<T>;
}

function openChannel(child: ChildProcess, timeoutMs: number): ProbeChannel {
  const markers: number[] = [];
  const onsets = new Map<string, number[]>();
  const waiters = new Set<(message: ProbeMessage) => void>();
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code) => {
      exitCode = code;
      resolve();
    }),
  );
  child.on("message", (message: ProbeMessage) => {
    if (message.kind === "marker") markers.push(message.at);
    else if (message.kind === "onset") onsets.get(message.id)?.push(message.at);
    for (const waiter of waiters) waiter(message);
  });
  const awaitMessage = <T>(
    what: string,
    command: ProbeCommand["kind"],
    id: string | undefined,
    pick: (m: ProbeMessage) => T | undefined,
    ms = timeoutMs,
  ) =>
    new Promise<T>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        waiters.delete(waiter);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${what}: nothing within ${ms} ms`));
      }, ms);
      const waiter = (m: ProbeMessage) => {
        const value = pick(m);
        if (value !== undefined) {
          done();
          resolve(value);
        } else if (m.kind === "failed" && m.command === command && m.id === id) {
          done();
          reject(new Error(`${what}: ${m.message}`));
        }
      };
      waiters.add(waiter);
      void exited.then(() => {
        done();
        reject(new Error(`${what}: the probe process exited (code ${exitCode})`));
      });
    });
  return { markers, onsets, exited, exitCode: () => exitCode, awaitMessage };
}

export function startProbePhones(options: ProbeOptions = {}): ProbePhones {
  const child = forkProbeProcess(options);
  const { markers, onsets, exited, exitCode, awaitMessage } = openChannel(child, options.timeoutMs ?? 30_000);
  let stopping: Promise<void> | undefined;
  return {
    markers,
    markersBetween: (from, to) => markers.filter((m) => m >= from && m <= to).length,
    onsets: (id) => onsets.get(id) ?? [],
    guide(url, token, guideOptions = {}) {
      const reply = awaitMessage("the guide", "guide", undefined, (m) =>
        m.kind === "guiding" ? m.identity : undefined,
      );
      child.send({ kind: "guide", url, token, red: guideOptions.red } satisfies ProbeCommand);
      return reply;
    },
    listen(id, url, token, rtcConfig) {
      onsets.set(id, []);
      const reply = awaitMessage(`probe ${id}`, "listen", id, (m) =>
        m.kind === "listening" && m.id === id ? m.joinMs : undefined,
      );
      child.send({ kind: "listen", id, url, token, rtcConfig } satisfies ProbeCommand);
      return reply;
    },
    firstOnset(id, ms) {
      const heard = onsets.get(id)?.[0];
      if (heard !== undefined) return Promise.resolve(heard);
      return awaitMessage(
        `probe ${id} hearing the guide`,
        "listen",
        id,
        (m) => (m.kind === "onset" && m.id === id ? m.at : undefined),
        ms,
      );
    },
    icePath(id) {
      const reply = awaitMessage(`probe ${id}'s ICE path`, "path", id, (m) =>
        m.kind === "path" && m.id === id ? { path: m.path, audio: m.audio } : undefined,
      );
      child.send({ kind: "path", id } satisfies ProbeCommand);
      return reply;
    },
    stop() {
      stopping ??= (async () => {
        if (exitCode() !== undefined) return;
        child.send({ kind: "stop" } satisfies ProbeCommand);
        const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(killer);
      })();
      return stopping;
    },
  };
}
