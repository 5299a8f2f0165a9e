// The host's monitoring, as rendered, against the real programs during a real
// tour on the local platform: a real Prometheus loads the rendered
// prometheus.yml and alert rules and scrapes livekit-server, node_exporter,
// redis_exporter, blackbox_exporter (probing the rendered Caddy's TLS),
// Caddy, Alertmanager and itself. A rule on a misspelt metric loads and
// evaluates without error and never fires; this file catches it by asking
// Prometheus' own parser for every metric name each loaded rule reads and
// finding each in the real scrape.
import { ContinualGatheringPolicy, IceServer, IceTransportType } from "@livekit/rtc-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LossyTurn, startLossyTurn } from "../../local/lossyTurn";
import { type LocalMonitoring, startMonitoring } from "../../local/monitoring";
import { type LocalPlatform, startLocalPlatform } from "../../local/platform";
import { type LoadedRule, missingMetricNames, ruleMetrics } from "../../local/prometheusApi";
import { waitFor } from "../../local/processes";
import { createTour } from "../../local/roles";
import { alertRules } from "../../templates/alertRules";
import { probedEndpoints, SCRAPE_JOBS } from "../../templates/prometheus";
import { type ProbePhones, startProbePhones } from "../../tour/probes";

/** Scrapes each target must have had before its names count as "in the scrape". */
const SCRAPES = 3;
/** A tenth of the audio towards one listener is lost: LiveKit must count it. */
const LOSS = 0.1;

describe("the rendered monitoring, scraping the local platform during a tour", () => {
  let platform: LocalPlatform;
  let monitoring: LocalMonitoring;
  let phones: ProbePhones;
  let lossy: LossyTurn;
  let rendered: ReturnType<typeof alertRules>;

  beforeAll(async () => {
    platform = await startLocalPlatform();
    monitoring = await startMonitoring(platform);
    rendered = alertRules(platform.model);
    const tour = await createTour(platform.admin, { listeners: 2, label: "monitoring" });
    const token = async (user: string) => (await platform.requestToken(user, tour.tourId)).body;
    phones = startProbePhones();
    const guide = await token(tour.guide);
    await phones.guide(guide.url, guide.token);
    // One listener on a good network, one whose downlink loses packets.
    const [steady, lossyListener] = tour.listeners as [string, string];
    const first = await token(steady);
    await phones.listen(steady, first.url, first.token);
    lossy = await startLossyTurn(LOSS);
    const second = await token(lossyListener);
    await phones.listen(lossyListener, second.url, second.token, {
      // Relay only: every packet between this listener and LiveKit crosses the lossy relay.
      iceTransportType: IceTransportType.TRANSPORT_RELAY,
      continualGatheringPolicy: ContinualGatheringPolicy.GATHER_ONCE,
      iceServers: [new IceServer({ urls: [lossy.url], username: lossy.username, password: lossy.password })],
    });
    await Promise.all([phones.firstOnset(steady, 20_000), phones.firstOnset(lossyListener, 20_000)]);
  }, 180_000);

  afterAll(async () => {
    await phones?.stop().catch(() => {});
    await lossy?.stop().catch(() => {});
    await monitoring?.stop();
    await platform?.stop();
  });

  it("scrapes every job of the rendered prometheus.yml, every target up, several times", async () => {
    const targets = await waitFor(
      `every target up and scraped ${SCRAPES} times`,
      async () => {
        const all = await monitoring.api.targets();
        if (all.some((t) => t.health !== "up")) return undefined;
        const scrapes = await monitoring.api.query("min(count_over_time(up[1m]))");
        return (scrapes[0]?.value ?? 0) >= SCRAPES ? all : undefined;
      },
      30_000,
      500,
    ).catch(async (error) => {
      // Say which target is down and why, not only that the wait timed out.
      const down = (await monitoring.api.targets()).filter((t) => t.health !== "up");
      throw new Error(`${error}\n${JSON.stringify(down, null, 2)}`);
    });
    expect(new Set(targets.map((t) => t.job))).toEqual(new Set(SCRAPE_JOBS));
    expect(targets.filter((t) => t.job === "blackbox")).toHaveLength(probedEndpoints(platform.model).length);
    // Up is the exporter answering; the probes themselves must complete a TLS handshake with Caddy.
    const probes = await monitoring.api.query('probe_success{job="blackbox"}');
    // One series per probed name, named after it as on the host.
    const byName = Object.fromEntries(probes.map((p) => [p.metric.instance, p.value]));
    expect(byName).toEqual(Object.fromEntries(probedEndpoints(platform.model).map((endpoint) => [endpoint, 1])));
  });

  it("loads every rendered alert rule, and each evaluates without error", async () => {
    const loaded = await waitFor(
      "every rule evaluated once",
      async () => {
        const rules = await monitoring.api.rules();
        return rules.length > 0 && rules.every((r) => r.health !== "unknown") ? rules : undefined;
      },
      20_000,
      500,
    );
    const renderedNames = rendered.groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(loaded.map((r) => r.name).sort()).toEqual([...renderedNames].sort());
    expect(loaded.filter((r) => r.health !== "ok")).toEqual([]);
  });

  it("a listener on a lossy network makes LiveKit count lost packets", async () => {
    expect(lossy.counts().dropped).toBeGreaterThan(0);
    const lost = await waitFor(
      "livekit_packet_loss_total in Prometheus",
      async () => {
        const samples = await monitoring.api.query("sum(livekit_packet_loss_total)");
        return samples[0] && samples[0].value > 0 ? samples[0].value : undefined;
      },
      30_000,
      500,
    );
    expect(lost).toBeGreaterThan(0);
  });

  it("finds every metric name the loaded rules read in the real scrape", async () => {
    const rules = await monitoring.api.rules();
    const used = await ruleMetrics(monitoring.api, rules);
    // Every rule reads at least one metric: a parse that found none would make this check vacuous.
    expect(used.filter((r) => r.names.length === 0)).toEqual([]);
    // LiveKit exports some families only after a first event (a join, a stats interval of media, a loss):
    // the tour above caused them; give the scrapes that carry them a bounded time.
    const missing = await waitFor(
      "every rule's metrics in the scrape",
      async () => {
        const gaps = missingMetricNames(used, await monitoring.api.metricNames());
        return gaps.length === 0 ? gaps : undefined;
      },
      30_000,
      1_000,
    ).catch(async () => missingMetricNames(used, await monitoring.api.metricNames()));
    expect(missing).toEqual([]);
  });

  it("names the rule and the metric when a rule reads a misspelt metric", async () => {
    const rules = await monitoring.api.rules();
    const target = rules.find((r) => r.query.includes("livekit_packet_loss_total"));
    expect(target, "a rule on LiveKit's packet loss").toBeDefined();
    const misspelt: LoadedRule[] = rules.map((r) =>
      r === target ? { ...r, query: r.query.replaceAll("livekit_packet_loss_total", "livekit_packets_lost_total") } : r,
    );
    const missing = missingMetricNames(await ruleMetrics(monitoring.api, misspelt), await monitoring.api.metricNames());
    expect(missing).toEqual([{ rule: target!.name, names: ["livekit_packets_lost_total"] }]);
  });
});
