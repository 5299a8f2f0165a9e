// The capacity benchmark's raw records, as capacity.json keeps them: every
// step measured, the cross-check's rounds, the levers' paired rounds. Types
// only; bench/report.ts derives the figures from them.
import type { GuideSettings, ServerOverrides } from "./levers";
import type { DelayPercentiles } from "./crowdDelay";

export interface StepResult {
  readonly tours: number;
  /** Every listener: crowd and probes. */
  readonly listeners: number;
  /** LiveKit's own CPU, in cores (1 = its whole core). */
  readonly livekitCpuCores: number;
  readonly livekitRssMiB: number;
  /** How busy LiveKit's core was, whoever kept it busy: above livekitCpuCores is someone else's load. */
  readonly livekitCoreBusy: number;
  /** How busy the generator's core was, whoever kept it busy; above the report's generatorLimit the step is invalid. */
  readonly generatorCoreBusy: number;
  /** The bench's own processes: this Node process (probes, rtc-node guides), the crowd, the Go guides. */
  readonly generatorCpuCores: number;
  readonly crowdCpuCores: number;
  readonly crowdListeners: number;
  readonly egressRtpBytesPerListenerPerSecond: number;
  readonly egressPacketsPerListenerPerSecond: number;
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  /** Share of the guide's markers the probes did not hear. */
  readonly lossRatio: number;
  readonly joinP95Ms: number;
  /** RTP sequence gaps the crowd saw, of the packets it should have received. */
  readonly crowdLostRatio: number;
  readonly crowdSilent: number;
  /** Join failures the crowd reported (each sent again, up to twice) and joins of crowd and Go guides sent again. */
  readonly crowdFailed: number;
  readonly joinRetries: number;
  /** What the crowd counted arriving, per crowd listener: beside LiveKit's own egress counters. */
  readonly crowdPacketsPerListenerPerSecond: number;
  readonly crowdBytesPerListenerPerSecond: number;
  /**
   * How much later than its stream's fastest packet each crowd packet arrived (kernel arrival stamps, against the
   * guides' RTP timestamps): the wait a listener's jitter buffer must cover. Only the lean-addrs crowd measures it.
   */
  readonly crowdDelay?: DelayPercentiles;
  /** How long after its slot was due each Go guide's packet left: the share of crowdDelay the generator added. */
  readonly guidesLate?: DelayPercentiles;
  readonly valid: boolean;
}

export interface IdleFigures {
  readonly livekitCpuCores: number;
  readonly livekitRssMiB: number;
}

export interface LeverSettings {
  readonly guide: GuideSettings;
  readonly redundantAudio: boolean;
  readonly server: ServerOverrides;
}

export interface LeverRun {
  readonly name: string;
  readonly settings: LeverSettings;
  readonly idle: IdleFigures;
  readonly steps: readonly StepResult[];
  readonly stopReason: string;
  /** The crowd the steps were measured with (absent in reports before 2026-11-30 16:00: then the lever's crowd of that day). */
  readonly crowd?: "lean" | "lean-polled" | "lean-ports" | "lean-addrs" | "sdk";
}

export interface CrowdMeasurement {
  /**
   * The crowd. Since 2026-11-30 "lean" reports as the SDK crowd does, "lean-phone" as a phone does, and
   * "lean-no-reports" sends no RTCP at all (the lean crowd of earlier reports).
   */
  readonly client: "lean" | "lean-phone" | "lean-no-reports" | "lean-polled" | "lean-ports" | "sdk";
  readonly livekitCpuCores: number;
  readonly livekitCpuCoresPerListener: number;
  /** The crowd process's own CPU per listener: the generator's cost. */
  readonly crowdCpuCoresPerListener: number;
  readonly generatorCoreBusy: number;
  readonly silent: number;
  readonly failed: number;
  /**
   * Share of LiveKit's CPU profile over the window in its packet-write system calls (bench/pprofShares.ts
   * PACKET_WRITE_SYSCALLS): over loopback they also run the receiving sockets' side, the listeners' work on a server.
   * Absent in reports before 2026-11-30 19:00.
   */
  readonly livekitWriteShare?: number;
  /** livekitCpuCoresPerListener with the write system calls taken out of both readings (crowd and guides alone). */
  readonly livekitCpuCoresPerListenerOutsideWrites?: number;
}

/** One round of the cross-check: LiveKit with the guides alone, then each crowd in turn. */
export interface CrossCheckRound {
  readonly guidesOnlyLivekitCpuCores: number;
  /** LiveKit's CPU with the guides alone, less its packet-write system calls (absent before 2026-11-30 19:00). */
  readonly guidesOnlyLivekitCpuCoresOutsideWrites?: number;
  readonly lean: CrowdMeasurement;
  /** The lean crowd with a polled socket per listener: the SDK crowd's way of receiving (reports before 2026-11-30 10:30). */
  readonly leanPolled?: CrowdMeasurement;
  /** The lean crowd reporting as a phone does: the crowd the benchmark measures with. */
  readonly leanPhone?: CrowdMeasurement;
  /** The lean crowd without any report: what the reports cost LiveKit. */
  readonly leanNoReports?: CrowdMeasurement;
  /** The lean crowd with an unwaited port per listener, reporting as a phone: the levers' and ramp's crowd until 2026-11-30 16:00. */
  readonly leanPorts?: CrowdMeasurement;
  readonly sdk: CrowdMeasurement;
}

/** The cross-check: its figures are the medians over its rounds (each round also kept). */
export interface CrossCheck extends CrossCheckRound {
  readonly listeners: number;
  readonly tours: number;
  /**
   * The lean crowds' client (bench/crossCheck.ts CROSS_CHECK_LEAN_CLIENT); absent: "lean", one shared socket, which
   * only the port range can take (reports before 2026-11-30 16:00).
   */
  readonly leanClient?: "lean" | "lean-addrs";
  /** What LiveKit and the guides ran (bench/levers.ts CROSS_CHECK_LEVER, described); absent: the baseline's. */
  readonly setup?: string;
  readonly rounds?: readonly CrossCheckRound[];
}

/** One lever in one round: a fresh LiveKit with the lever's settings, one step of tours, measured, stopped. */
export interface LeverArm {
  readonly lever: string;
  readonly settings: LeverSettings;
  readonly idle: IdleFigures;
  /** Absent when the arm failed (its LiveKit did not start, its joins did not complete). */
  readonly step?: StepResult;
  readonly failure?: string;
}

/**
 * The levers side by side in rounds: each round runs every lever once, in an order rotated by one each round, all
 * with one crowd at one count of listeners. A lever is compared with the baseline of its own round, so that the
 * machine's drift between rounds (up to a third here) cancels out of the ratio.
 */
export interface LeverRounds {
  readonly tours: number;
  readonly sampledTours: number;
  /** The crowd every arm uses: the one crowd that can measure every lever, the mux and the port range alike. */
  readonly crowd: "lean" | "lean-ports" | "lean-addrs";
  readonly rounds: readonly { readonly arms: readonly LeverArm[] }[];
}

export interface BenchReport {
  readonly command: string;
  readonly date: string;
  readonly cpuModel: string;
  readonly loadAverage: { readonly before: readonly number[]; readonly after: readonly number[] };
  readonly listenersPerTour: number;
  readonly probesPerTour: number;
  readonly sampledTours: number;
  /** Tours of the baseline's first step (later steps: a third of the way to the projected 80 % each). */
  readonly toursPerStep: number;
  readonly settleSeconds: number;
  readonly measureSeconds: number;
  /** Share of the generator's core above which a step is invalid. */
  readonly generatorLimit: number;
  /** The baseline lever's figures, also at the top level (read by the planner). */
  readonly idle: IdleFigures;
  readonly steps: readonly StepResult[];
  readonly stopReason: string;
  /** The baseline's ramp (one run; reports before the paired rounds had one ramp per lever). */
  readonly leverRuns: readonly LeverRun[];
  /** Every lever, the baseline too, measured in paired rounds at one count of listeners. */
  readonly leverRounds?: LeverRounds;
  readonly crossCheck?: CrossCheck;
  /** Why the cross-check has no figures, when it failed. */
  readonly crossCheckError?: string;
}
