// For each alert: synthetic series that fire it, and series that must not.
// Built into a `promtool test rules` file by test/tools/monitoring.test.ts.
// Series notation is promtool's: "a+bxn" is a, a+b, ... (n+1 samples).

export interface Series {
  readonly series: string;
  readonly values: string;
}

export interface Scenario {
  /** Sample spacing: "1m" unless a rule looks back days. */
  readonly interval?: string;
  readonly input: readonly Series[];
  readonly evalTime: string;
}

export interface AlertCase {
  readonly fires: Scenario & {
    /** The alert's labels besides alertname and the rule's own (severity). */
    readonly labels: Readonly<Record<string, string>>;
    /** What `{{ $value | humanize… }}` prints in the annotations. */
    readonly value?: string;
  };
  readonly quiet: Scenario;
}

const NODE = 'instance="127.0.0.1:9100",job="node"';
const LIVEKIT = 'instance="127.0.0.1:6789",job="livekit"';
const node = { instance: "127.0.0.1:9100", job: "node" };

const cpuIdle = (perMinute: number) => [
  { series: `node_cpu_seconds_total{cpu="0",mode="idle",${NODE}}`, values: `0+${perMinute}x30` },
];
const memory = (available: number) => [
  { series: `node_memory_MemAvailable_bytes{${NODE}}`, values: `${available}x30` },
  { series: `node_memory_MemTotal_bytes{${NODE}}`, values: "10000000000x30" },
];
const disk = (fstype: string, mountpoint: string, avail: number) => [
  {
    series: `node_filesystem_avail_bytes{fstype="${fstype}",mountpoint="${mountpoint}",${NODE}}`,
    values: `${avail}x30`,
  },
  {
    series: `node_filesystem_size_bytes{fstype="${fstype}",mountpoint="${mountpoint}",${NODE}}`,
    values: "100000000000x30",
  },
];
/** Bytes sent per hour on a device, for eight days of hourly samples. */
const transmit = (device: string, perHour: number) => ({
  series: `node_network_transmit_bytes_total{device="${device}",${NODE}}`,
  values: `0+${perHour}x200`,
});
const packets = (direction: string, perMinute: number, lostPerMinute: number) => [
  {
    series: `livekit_packet_total{direction="${direction}",transmission="initial",${LIVEKIT}}`,
    values: `0+${perMinute}x30`,
  },
  {
    series: `livekit_packet_loss_total{direction="${direction}",source="MICROPHONE",type="AUDIO",${LIVEKIT}}`,
    values: `0+${lostPerMinute}x30`,
  },
];
const joins = (startedPerMinute: number, failedPerMinute: number) => [
  { series: `livekit_participant_join_total{state="signal_connected",${LIVEKIT}}`, values: `0+${startedPerMinute}x30` },
  {
    series: `livekit_participant_join_total{state="rtc_connected",${LIVEKIT}}`,
    values: `0+${startedPerMinute - failedPerMinute}x30`,
  },
  { series: `livekit_participant_join_total{state="rtc_failure",${LIVEKIT}}`, values: `0+${failedPerMinute}x30` },
];
const up = (job: string, port: number, values: string) => ({
  series: `up{instance="127.0.0.1:${port}",job="${job}"}`,
  values,
});

export const ALERT_CASES: Readonly<Record<string, AlertCase>> = {
  HostCpuHigh: {
    // Idle 6 s of every 60: 90 % busy.
    fires: { input: cpuIdle(6), evalTime: "15m", labels: { instance: node.instance }, value: "90" },
    quiet: { input: cpuIdle(54), evalTime: "15m" },
  },
  HostMemoryHigh: {
    fires: { input: memory(1_000_000_000), evalTime: "10m", labels: node, value: "90" },
    quiet: { input: memory(5_000_000_000), evalTime: "10m" },
  },
  HostDiskFull: {
    fires: {
      input: disk("ext4", "/", 10_000_000_000),
      evalTime: "10m",
      labels: { ...node, fstype: "ext4", mountpoint: "/" },
      value: "90",
    },
    // A full memory file system is not the disk.
    quiet: { input: [...disk("ext4", "/", 50_000_000_000), ...disk("tmpfs", "/run", 0)], evalTime: "10m" },
  },
  UdpReceiveBufferErrors: {
    fires: {
      input: [{ series: `node_netstat_Udp_RcvbufErrors{${NODE}}`, values: "0+300x30" }],
      evalTime: "20m",
      labels: node,
      value: "5",
    },
    quiet: { input: [{ series: `node_netstat_Udp_RcvbufErrors{${NODE}}`, values: "0+30x30" }], evalTime: "20m" },
  },
  TrafficAllowanceAtRisk: {
    // 10 MB/s for a 31-day January is 26.8 TB, over the 20 TB allowance.
    fires: {
      interval: "1h",
      input: [transmit("eth0", 36_000_000_000)],
      evalTime: "190h",
      labels: { instance: node.instance },
      value: "26.78T",
    },
    // 5 MB/s out of the public NIC; the container bridge's traffic never leaves the host.
    quiet: {
      interval: "1h",
      input: [transmit("eth0", 18_000_000_000), transmit("docker0", 90_000_000_000)],
      evalTime: "190h",
    },
  },
  LivekitDown: {
    fires: {
      input: [up("livekit", 6789, "1 1 0x10")],
      evalTime: "10m",
      labels: { instance: "127.0.0.1:6789", job: "livekit" },
    },
    quiet: { input: [up("livekit", 6789, "1x12")], evalTime: "10m" },
  },
  RedisDown: {
    fires: {
      input: [{ series: 'redis_up{instance="127.0.0.1:9121",job="redis"}', values: "0x10" }],
      evalTime: "10m",
      labels: { instance: "127.0.0.1:9121", job: "redis" },
    },
    quiet: { input: [{ series: 'redis_up{instance="127.0.0.1:9121",job="redis"}', values: "1x10" }], evalTime: "10m" },
  },
  CaddyDown: {
    fires: {
      input: [up("caddy", 2019, "0x10")],
      evalTime: "10m",
      labels: { instance: "127.0.0.1:2019", job: "caddy" },
    },
    quiet: { input: [up("caddy", 2019, "1x10")], evalTime: "10m" },
  },
  MonitoringTargetDown: {
    fires: { input: [up("node", 9100, "0x10")], evalTime: "10m", labels: node },
    // LiveKit down is LivekitDown's page, not this one.
    quiet: { input: [up("node", 9100, "1x10"), up("livekit", 6789, "0x10")], evalTime: "10m" },
  },
  CertificateExpiringSoon: {
    // Expires 10 days after the start; evaluated an hour in.
    fires: {
      input: [
        {
          series: 'probe_ssl_earliest_cert_expiry{instance="live.roamcast.app:443",job="blackbox"}',
          values: "864000x90",
        },
      ],
      evalTime: "60m",
      labels: { instance: "live.roamcast.app:443", job: "blackbox" },
      value: "9d 23h 0m 0s",
    },
    quiet: {
      input: [
        {
          series: 'probe_ssl_earliest_cert_expiry{instance="live.roamcast.app:443",job="blackbox"}',
          values: "2592000x90",
        },
      ],
      evalTime: "60m",
    },
  },
  CertificateProbeFailing: {
    fires: {
      input: [{ series: 'probe_success{instance="turn.roamcast.app:443",job="blackbox"}', values: "0x10" }],
      evalTime: "10m",
      labels: { instance: "turn.roamcast.app:443", job: "blackbox" },
    },
    quiet: {
      input: [{ series: 'probe_success{instance="turn.roamcast.app:443",job="blackbox"}', values: "1x10" }],
      evalTime: "10m",
    },
  },
  ParticipantPacketLossHigh: {
    // 100 packets/s out, 10 of them lost.
    fires: { input: packets("outgoing", 6000, 600), evalTime: "20m", labels: { direction: "outgoing" }, value: "10" },
    // 1 % lost out; in, half lost but below one stream's worth of packets.
    quiet: { input: [...packets("outgoing", 6000, 60), ...packets("incoming", 600, 300)], evalTime: "20m" },
  },
  ParticipantJoinFailures: {
    // Half of two joins a minute never connect their media.
    fires: { input: joins(2, 1), evalTime: "20m", labels: {}, value: "50%" },
    // One in twenty fails: below 10 %.
    quiet: { input: joins(10, 0.5), evalTime: "20m" },
  },
};
