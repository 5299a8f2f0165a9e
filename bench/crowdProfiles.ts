// Where LiveKit's CPU goes for each kind of listener crowd: a fresh LiveKit per
// crowd (the cross-check's settings: the rendered mux, guides without RED; for
// "rendered", a phone's guide with RED), the crowd joined (the lean crowds with
// an address per listener), then LiveKit's own CPU profile over a steady-state
// window from its debug endpoint, split into kinds of work
// (bench/pprofShares.ts). Steadier
// than the cross-check's differences of two /proc readings on a shared machine:
// the shares are of LiveKit's own samples in one window.
//
//   npm run bench:crowd-profiles -- [--crowds none,phone,sdk-reports,sdk,rendered] [--tours 10] [--hold 40]
import { join } from "node:path";
import { startLocalPlatform } from "../local/platform";
import { freePort } from "../local/processes";
import { type Cli, InputError, numberOption, runCli } from "../scripts/cli";
import { checkOutFolder } from "../scripts/outFolder";
import { disposeClients } from "../tour/rooms";
import { sleep } from "../tour/time";
import { isolateCores } from "./cpuset";
import { type CrowdClient, type CrowdReports, startCrowd, startGuides } from "./harness";
import { CROSS_CHECK_LEVER, LEVERS, type Lever } from "./levers";
import { moveFixedPorts, pickFixedPorts, startLivekitUnderTest } from "./livekitUnderTest";
import { focusedSeconds, PROFILE_BUCKETS, profileTotal } from "./pprofShares";
import { pprofTop, profileWindow } from "./pprofTool";
import { coreShare, cpuSample } from "./procStats";
import { waitForJoins } from "./steps";
import { listenerToken, tourPool } from "./tours";

type ProfiledCrowd = { client: CrowdClient; reports?: CrowdReports; what: string; lever?: Lever };

/** Every crowd runs on the cross-check's settings, but "rendered": the benchmark's baseline, what a server runs. */
const CROWDS: Readonly<Record<string, ProfiledCrowd>> = {
  none: { client: "lean-addrs", reports: "none", what: "lean crowd, no reports" },
  phone: { client: "lean-addrs", reports: "phone", what: "lean crowd, a receiver report about every 5 s (a phone)" },
  "sdk-reports": {
    client: "lean-addrs",
    reports: "sdk",
    what: "lean crowd, a receiver and an extended report a second",
  },
  sdk: { client: "sdk", what: "LiveKit's Go SDK (pion, its default interceptors)" },
  rendered: {
    client: "lean-addrs",
    reports: "phone",
    lever: LEVERS[0],
    what: "the rendered livekit.yaml (UDP mux, batched writes) and a phone's guide (RED); an address per listener, a phone's reports",
  },
};

const SPEC = {
  usage:
    "usage: npm run bench:crowd-profiles -- [--crowds none,phone,sdk-reports,sdk,rendered] [--tours 10] [--hold 40]",
  help: `
For each crowd, starts a fresh livekit-server alone on core 0 (the cross-check's
settings: ${CROSS_CHECK_LEVER.name}; "rendered": the benchmark's baseline), --tours tours of 30 listeners with Go
guides, waits until every listener hears its guide and 15 s more, then takes
LiveKit's CPU profile for --hold seconds and prints which share of it each kind
of work took. Needs root (cpusets) and Go (go tool pprof), as bench:capacity.

  --crowds <names>  comma-separated, of: ${Object.keys(CROWDS).join(", ")} (default: all but rendered)
  --tours <n>       tours of 30 listeners per crowd (default 10)
  --hold <seconds>  the profile's window (default 40)
  --out <dir>       where the .pprof files go (default /tmp/roamcast-crowd-profiles)
  -h, --help        this text
`,
  options: {
    crowds: { type: "string", default: "none,phone,sdk-reports,sdk" },
    tours: { type: "string", default: "10" },
    hold: { type: "string", default: "40" },
    out: { type: "string", default: "/tmp/roamcast-crowd-profiles" },
  },
} as const;

const LISTENERS_PER_TOUR = 30;
const SETTLE_MS = 15_000;

/** The buckets' names in one column. */
const NAME_WIDTH = Math.max(...PROFILE_BUCKETS.map((b) => b.name.length));

/** One line per bucket: its seconds and share of the profile's samples. */
function shares(profile: string): string[] {
  const total = profileTotal(pprofTop(profile));
  const lines = PROFILE_BUCKETS.map((b) => {
    const s = focusedSeconds(pprofTop(profile, b.focus));
    return `  ${b.name.padEnd(NAME_WIDTH)} ${s.toFixed(2).padStart(6)} s  ${((s / total.totalSeconds) * 100).toFixed(1).padStart(5)} %`;
  });
  return [
    `  samples: ${total.totalSeconds.toFixed(2)} s of LiveKit CPU in ${total.durationSeconds.toFixed(0)} s`,
    ...lines,
  ];
}

interface Plan {
  readonly crowds: readonly string[];
  readonly tours: number;
  readonly holdSeconds: number;
  readonly out: string;
}

async function profileCrowds(plan: Plan): Promise<void> {
  const isolation = isolateCores();
  try {
    const fixed = await pickFixedPorts();
    const platform = await startLocalPlatform({
      listenersPerTour: LISTENERS_PER_TOUR,
      livekitConfig: (config) => moveFixedPorts(config, fixed),
    });
    await platform.livekit.stop();
    const pool = tourPool(platform, LISTENERS_PER_TOUR);
    try {
      for (const name of plan.crowds) await profileOne(name, plan, { platform, isolation, pool });
    } finally {
      await disposeClients();
      await platform.stop();
    }
  } finally {
    isolation.release();
  }
}

type Ctx = {
  platform: Awaited<ReturnType<typeof startLocalPlatform>>;
  isolation: ReturnType<typeof isolateCores>;
  pool: ReturnType<typeof tourPool>;
};

async function profileOne(name: string, plan: Plan, { platform, isolation, pool }: Ctx): Promise<void> {
  const spec = CROWDS[name]!;
  const debugPort = await freePort();
  const base = spec.lever ?? CROSS_CHECK_LEVER;
  const lever: Lever = { ...base, server: { ...base.server, debug_handler: { port: debugPort } } };
  const livekit = await startLivekitUnderTest(platform, lever, isolation);
  const guides = startGuides();
  const crowd = startCrowd(spec.client, spec.reports);
  try {
    let listeners = 0;
    for (let i = 0; i < plan.tours; i++) {
      const tour = await pool(i);
      const res = await platform.requestToken(tour.guide, tour.tourId);
      if (res.status !== 200) throw new Error(`guide token: ${res.status} ${JSON.stringify(res.body)}`);
      guides.join({ id: tour.guide, url: livekit.url, token: res.body.token }, lever.guide);
      for (const id of tour.listeners)
        crowd.send({ id, url: livekit.url, token: await listenerToken(platform, id, res.body.room as string) });
      listeners += tour.listeners.length;
    }
    await waitForJoins(crowd, guides, listeners, plan.tours);
    await sleep(SETTLE_MS);
    const before = cpuSample(livekit.pid);
    const file = await profileWindow(debugPort, plan.holdSeconds, join(plan.out, `livekit-${name}.pprof`));
    const cpu = coreShare(before, cpuSample(livekit.pid));
    console.log(
      `${name} (${spec.what}): ${listeners} listeners, LiveKit ${(cpu * 100).toFixed(1)} % of its core; ${file}`,
    );
    for (const line of shares(file)) console.log(line);
  } finally {
    await crowd.stop();
    await guides.stop();
    await livekit.stop();
  }
}

function main({ values }: Cli<typeof SPEC.options>): Promise<number> {
  const crowds = values.crowds.split(",").map((c) => c.trim());
  const unknown = crowds.filter((c) => !CROWDS[c]);
  if (unknown.length > 0 || crowds.length === 0)
    throw new InputError(`--crowds: unknown "${unknown.join(", ")}"; the crowds are ${Object.keys(CROWDS).join(", ")}`);
  const out = checkOutFolder("--out", values.out);
  const plan: Plan = {
    crowds,
    tours: numberOption("tours", values.tours, { integer: true, atLeast: 1, atMost: 40 }),
    holdSeconds: numberOption("hold", values.hold, { integer: true, atLeast: 5, atMost: 600 }),
    out: out.path,
  };
  out.create();
  return profileCrowds(plan).then(() => 0);
}

if (require.main === module) runCli(SPEC, main, { forceExit: true });
