// The lean crowd against a crowd built the way LiveKit's own load tester
// builds its subscribers (LiveKit's Go SDK, `loadgen listen --client sdk`),
// in the same run, at the same count of listeners, on one fresh LiveKit with
// the rendered mux and guides without RED (bench/levers.ts CROSS_CHECK_LEVER): if both make LiveKit spend the same CPU
// per listener, the lean crowd's cheapness did not make LiveKit's work cheaper. The lean crowds are the benchmark's
// own (an address per listener), reporting three ways.
// CPU per listener = (LiveKit's CPU with the crowd − with the guides alone) / listeners; and the same with LiveKit's
// packet-write system calls taken out of both, from its CPU profile over each window: over loopback the kernel runs
// the receiving socket's side of every datagram inside LiveKit's write, and a crowd whose every listener parks a
// reader of its own (the SDK's pion) is woken there, per packet — work that on a server is the phones'.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../local/processes";
import { tempDir } from "../local/temp";
import { sleep } from "../tour/time";
import { GENERATOR_CORE } from "./cpuset";
import { type CrowdClient, type CrowdReports, startCrowd, startGuides } from "./harness";
import { CROSS_CHECK_LEVER, describeLever, type Lever } from "./levers";
import { startLivekitUnderTest } from "./livekitUnderTest";
import { PACKET_WRITE_SYSCALLS } from "./pprofShares";
import { profileShare, profileWindow } from "./pprofTool";
import { busyShare, coreShare, coreTimes, cpuSample } from "./procStats";
import { type CrossCheck, type CrossCheckRound, crossCheckOfRounds, type CrowdMeasurement } from "./report";
import { type BenchContext, waitForJoins } from "./steps";
import { listenerToken } from "./tours";

export interface CrossCheckPlan {
  readonly tours: number;
  readonly settleMs: number;
  readonly measureMs: number;
  /** Rounds of every crowd in turn: one 8-second sample of each was seen to swing by a third between runs. */
  readonly rounds: number;
}

/** A crowd of the cross-check: the client, and what its listeners report. */
interface CrossCheckCrowd {
  readonly label: CrowdMeasurement["client"];
  readonly client: CrowdClient;
  readonly reports?: CrowdReports;
}

/** The lean crowds' client: the crowd of the ramp and the levers, which can join the rendered mux. */
export const CROSS_CHECK_LEAN_CLIENT = "lean-addrs" as const;

/**
 * The crowds in the order each round joins them: the lean crowd reporting as the SDK crowd does (its twin, for the
 * verdict), reporting as a phone does (the crowd every other figure is measured with), reporting nothing, and the
 * SDK crowd.
 */
export const CROSS_CHECK_CROWDS: readonly CrossCheckCrowd[] = [
  { label: "lean", client: CROSS_CHECK_LEAN_CLIENT, reports: "sdk" },
  { label: "lean-phone", client: CROSS_CHECK_LEAN_CLIENT, reports: "phone" },
  { label: "lean-no-reports", client: CROSS_CHECK_LEAN_CLIENT, reports: "none" },
  { label: "sdk", client: "sdk" },
];

/** LiveKit's debug endpoint, and where this process keeps the window's profile until it is read. */
interface Profiling {
  readonly debugPort: number;
  readonly file: string;
}

/**
 * LiveKit's and the crowd's CPU over `ms`, the generator core's load, and the share of LiveKit's CPU profile over the
 * same window that its packet-write system calls took.
 */
async function livekitCpuOver(pid: number, ms: number, profiling: Profiling, crowdPid?: number) {
  const a = { lk: cpuSample(pid), crowd: crowdPid ? cpuSample(crowdPid) : undefined, core: coreTimes(GENERATOR_CORE) };
  // pprof profiles whole seconds, at least one (0 would mean its default, 30 s).
  const profiled = profileWindow(profiling.debugPort, Math.max(1, Math.round(ms / 1000)), profiling.file);
  await sleep(ms);
  const lk = coreShare(a.lk, cpuSample(pid));
  const crowd = a.crowd && crowdPid ? coreShare(a.crowd, cpuSample(crowdPid)) : 0;
  const generatorCoreBusy = busyShare(a.core, coreTimes(GENERATOR_CORE));
  let writeShare: number;
  try {
    writeShare = profileShare(await profiled, PACKET_WRITE_SYSCALLS);
  } finally {
    rmSync(profiling.file, { force: true });
  }
  return { livekit: lk, livekitOutsideWrites: lk * (1 - writeShare), writeShare, crowd, generatorCoreBusy };
}

/** LiveKit with the guides alone: its CPU, and its CPU less its packet writes. */
interface GuidesOnly {
  readonly livekit: number;
  readonly livekitOutsideWrites: number;
}

type ListenerToken = { id: string; url: string; token: string };

async function measureCrowd(
  livekitPid: number,
  spec: CrossCheckCrowd,
  tokens: readonly ListenerToken[],
  guidesOnly: GuidesOnly,
  plan: CrossCheckPlan,
  profiling: Profiling,
): Promise<CrowdMeasurement> {
  const client = spec.label;
  const crowd = startCrowd(spec.client, spec.reports);
  try {
    for (const t of tokens) crowd.send(t);
    await waitForJoins(crowd, undefined, tokens.length, 0);
    await sleep(plan.settleMs);
    const m = await livekitCpuOver(livekitPid, plan.measureMs, profiling, crowd.pid);
    const r = crowd.latest();
    console.log(
      `cross-check ${client}: ${tokens.length} listeners, livekit ${(m.livekit * 100).toFixed(1)} % (guides alone ${(guidesOnly.livekit * 100).toFixed(1)} %; packet writes ${(m.writeShare * 100).toFixed(0)} % of it), crowd ${(m.crowd * 100).toFixed(1)} %, generator core ${(m.generatorCoreBusy * 100).toFixed(0)} %`,
    );
    return {
      client,
      livekitCpuCores: m.livekit,
      livekitCpuCoresPerListener: (m.livekit - guidesOnly.livekit) / tokens.length,
      crowdCpuCoresPerListener: m.crowd / tokens.length,
      generatorCoreBusy: m.generatorCoreBusy,
      silent: r.silent,
      failed: r.failed,
      livekitWriteShare: m.writeShare,
      livekitCpuCoresPerListenerOutsideWrites:
        (m.livekitOutsideWrites - guidesOnly.livekitOutsideWrites) / tokens.length,
    };
  } finally {
    await crowd.stop();
    // Let LiveKit close the departed participants before the next crowd joins.
    await sleep(3000);
  }
}

export async function crossCheck(ctx: BenchContext, plan: CrossCheckPlan): Promise<CrossCheck> {
  const baseline = CROSS_CHECK_LEVER;
  // LiveKit's debug endpoint gives a CPU profile of each measured window: its packet writes are taken apart.
  const profiling: Profiling = {
    debugPort: await freePort(),
    file: join(tempDir(), "window.pprof"),
  };
  const profiled: Lever = { ...baseline, server: { ...baseline.server, debug_handler: { port: profiling.debugPort } } };
  const livekit = await startLivekitUnderTest(ctx.platform, profiled, ctx.isolation);
  const guides = startGuides();
  try {
    const joins: { id: string; room: string }[] = [];
    for (let i = 0; i < plan.tours; i++) {
      const tour = await ctx.pool(i);
      const res = await ctx.platform.requestToken(tour.guide, tour.tourId);
      if (res.status !== 200) throw new Error(`guide token: ${res.status} ${JSON.stringify(res.body)}`);
      guides.join({ id: tour.guide, url: livekit.url, token: res.body.token }, baseline.guide);
      joins.push(...tour.listeners.map((id) => ({ id, room: res.body.room as string })));
    }
    const tokens = await Promise.all(
      joins.map(async (j) => ({ id: j.id, url: livekit.url, token: await listenerToken(ctx.platform, j.id, j.room) })),
    );
    await sleep(plan.settleMs);
    const rounds: CrossCheckRound[] = [];
    for (let round = 0; round < plan.rounds; round++) {
      // Guides alone again each round: LiveKit's idle share drifts between rounds too.
      const guidesOnly = await livekitCpuOver(livekit.pid, plan.measureMs, profiling);
      const crowds: Partial<Record<CrowdMeasurement["client"], CrowdMeasurement>> = {};
      for (const spec of CROSS_CHECK_CROWDS)
        crowds[spec.label] = await measureCrowd(livekit.pid, spec, tokens, guidesOnly, plan, profiling);
      rounds.push({
        guidesOnlyLivekitCpuCores: guidesOnly.livekit,
        guidesOnlyLivekitCpuCoresOutsideWrites: guidesOnly.livekitOutsideWrites,
        lean: crowds.lean!,
        leanPhone: crowds["lean-phone"]!,
        leanNoReports: crowds["lean-no-reports"]!,
        sdk: crowds.sdk!,
      });
    }
    const setup = `${baseline.name} (${describeLever(baseline)})`;
    return crossCheckOfRounds(tokens.length, plan.tours, rounds, setup, CROSS_CHECK_LEAN_CLIENT);
  } finally {
    await guides.stop();
    await livekit.stop();
  }
}
