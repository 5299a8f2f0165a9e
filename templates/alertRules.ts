// alert-rules.yml: what wakes an operator before a guide notices. Each rule
// selects only metric names the real exporters export (LiveKit v1.13.5's are
// listed in the README), and each says what to look at and what to do.
import { assertRenderable, BYTES_PER_TB, type HostModel, type MediaPorts, mediaPortText, PORTS } from "./model";
import { toYaml } from "./yaml";

/** The rules file's name on the host and in the container, beside prometheus.yml. */
export const ALERT_RULES_FILE = "alert-rules.yml";

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels: { readonly severity: "critical" | "warning" };
  readonly annotations: { readonly summary: string; readonly description: string };
}

export interface AlertGroup {
  readonly name: string;
  readonly rules: AlertRule[];
}

/** The host's own disks: the container overlays and memory file systems are not where data fills up. */
const DISKS = 'fstype=~"ext4|xfs|btrfs"';
/** Hetzner counts what leaves the public interface; the host's bridges and loopback are local. */
const PUBLIC_NICS = 'device!~"lo|docker.*|veth.*|br-.*"';
const JOIN_FAILED = 'state=~"signal_failed|rtc_failure"';
const JOIN_STARTED = 'state=~"signal_connected|signal_failed"';

const SSH_HINT = "ssh root@<host>; cd /opt/livekit; docker compose ps; docker compose logs --tail 100";

function hostRules(monthlyTrafficBytes: number): AlertRule[] {
  return [
    {
      alert: "HostCpuHigh",
      expr: '100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))) > 80',
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: "CPU busy above 80 % for 5 minutes ({{ $value | humanize }} %)",
        description:
          "LiveKit forwards audio late when the CPU is saturated: listeners hear gaps. Check `top` on the host for the busy process; if it is livekit-server during tours, the server is too small for the load: move to a larger server type (roamcast:serverType) or spread tours over a second server.",
      },
    },
    {
      alert: "HostMemoryHigh",
      expr: "100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes) > 80",
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: "Memory in use above 80 % for 5 minutes ({{ $value | humanize }} %)",
        description: `When memory runs out the kernel kills a container, LiveKit first among them. See which container grows: docker stats --no-stream. A steady climb between tours is a leak: restart that service in a quiet hour (${SSH_HINT}); otherwise choose a server type with more memory.`,
      },
    },
    {
      alert: "HostDiskFull",
      expr: `100 * (1 - node_filesystem_avail_bytes{${DISKS}} / node_filesystem_size_bytes{${DISKS}}) > 85`,
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: "Disk {{ $labels.mountpoint }} above 85 % full ({{ $value | humanize }} %)",
        description:
          "A full disk stops Docker, Caddy's certificate renewals and Prometheus. Find what grew: du -xh --max-depth=2 / | sort -h | tail. Usual suspects: old images (docker image prune -a), container logs (docker system df), Prometheus data (retention is bounded by time and size).",
      },
    },
    {
      alert: "UdpReceiveBufferErrors",
      // A few drops at start-up are harmless; a steady stream is media lost before LiveKit reads it.
      expr: "rate(node_netstat_Udp_RcvbufErrors[5m]) > 1",
      for: "10m",
      labels: { severity: "warning" },
      annotations: {
        summary: "The kernel drops UDP datagrams for full receive buffers ({{ $value | humanize }}/s)",
        description:
          "Listeners lose audio packets on this host before LiveKit reads them. Check that the UDP buffer sysctls are in force (sysctl net.core.rmem_max net.core.rmem_default; cloud-init writes /etc/sysctl.d/60-livekit-udp.conf) and whether the CPU is saturated at the same time (HostCpuHigh).",
      },
    },
    {
      alert: "TrafficAllowanceAtRisk",
      expr: `sum by (instance) (rate(node_network_transmit_bytes_total{${PUBLIC_NICS}}[7d])) * 86400 * scalar(days_in_month()) > ${monthlyTrafficBytes}`,
      for: "1h",
      labels: { severity: "warning" },
      annotations: {
        summary: `At the last 7 days' rate, outgoing traffic this month reaches {{ $value | humanize }}B, over the ${monthlyTrafficBytes / BYTES_PER_TB} TB included`,
        description:
          "Hetzner bills outgoing traffic above the server's monthly allowance. Check the month so far in the Hetzner Cloud console (server > Graphs > Traffic), whether Opus RED (roamcast:redundantAudio, about twice the bandwidth per listener) is worth it, and whether tours should move to a second server.",
      },
    },
  ];
}

function serviceRules(): AlertRule[] {
  const down = (alert: string, expr: string, summary: string, description: string): AlertRule => ({
    alert,
    expr,
    for: "1m",
    labels: { severity: "critical" },
    annotations: { summary, description },
  });
  return [
    down(
      "LivekitDown",
      'up{job="livekit"} == 0',
      "LiveKit does not answer on its metrics port: tours cannot connect",
      `Every tour on this host is off the air. Look at the container: ${SSH_HINT} livekit. If it restarts in a loop, the log's last lines name the config problem; the previous files are in /opt/livekit/.previous.`,
    ),
    down(
      "RedisDown",
      "redis_up == 0",
      "Redis does not answer the exporter: LiveKit cannot keep room state",
      `New rooms and joins fail while Redis is down. Look at it: ${SSH_HINT} redis. A "maxmemory" refusal in LiveKit's log means Redis is full (it never evicts room state).`,
    ),
    down(
      "CaddyDown",
      'up{job="caddy"} == 0',
      "Caddy's admin endpoint does not answer: WSS signalling and TURN/TLS on 443 are down",
      `No listener can join while Caddy is down. Look at it: ${SSH_HINT} caddy.`,
    ),
    {
      alert: "MonitoringTargetDown",
      expr: 'up{job=~"node|redis|blackbox|alertmanager"} == 0',
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: "{{ $labels.job }} exporter at {{ $labels.instance }} does not answer",
        description:
          "The alerts fed by the {{ $labels.job }} job cannot fire while it is down. Look at its container: " +
          `${SSH_HINT}.`,
      },
    },
  ];
}

function edgeRules(): AlertRule[] {
  return [
    {
      alert: "CertificateExpiringSoon",
      expr: 'probe_ssl_earliest_cert_expiry{job="blackbox"} - time() < 14 * 86400',
      for: "30m",
      labels: { severity: "warning" },
      annotations: {
        summary: "The certificate of {{ $labels.instance }} expires in {{ $value | humanizeDuration }}",
        description:
          "Caddy renews certificates well before 14 days are left, so renewal is failing. Read Caddy's log for the ACME error (docker compose logs caddy | grep -i acme): usually port 80 blocked, DNS not pointing at this server, or a Let's Encrypt rate limit.",
      },
    },
    {
      alert: "CertificateProbeFailing",
      expr: 'probe_success{job="blackbox"} == 0',
      for: "5m",
      labels: { severity: "critical" },
      annotations: {
        summary: "No valid TLS handshake with {{ $labels.instance }}",
        description:
          "Clients cannot reach this name on 443 with a certificate they trust. Try it from outside: openssl s_client -connect {{ $labels.instance }} -servername <name>. Check Caddy (CaddyDown), the DNS records and the certificate in Caddy's log.",
      },
    },
  ];
}

function livekitRules(media: MediaPorts): AlertRule[] {
  const failed = `sum(increase(livekit_participant_join_total{${JOIN_FAILED}}[15m]))`;
  const started = `sum(increase(livekit_participant_join_total{${JOIN_STARTED}}[15m]))`;
  const sent = 'sum by (direction) (rate(livekit_packet_total{transmission="initial"}[5m]))';
  return [
    {
      alert: "ParticipantPacketLossHigh",
      // Only with real traffic: at least one Opus stream (50 packets/s) in that direction.
      expr: `100 * sum by (direction) (rate(livekit_packet_loss_total[5m])) / ${sent} > 5 and ${sent} > 50`,
      for: "10m",
      labels: { severity: "warning" },
      annotations: {
        summary: "{{ $value | humanize }} % of {{ $labels.direction }} audio packets lost for 10 minutes",
        description:
          "incoming: the guides' uplinks lose packets; outgoing: the listeners' downlinks. Loss on every tour at once points at this server or its network (check UdpReceiveBufferErrors, HostCpuHigh, Hetzner's status page); loss on one tour is that tour's mobile coverage.",
      },
    },
    {
      alert: "ParticipantJoinFailures",
      expr: `${failed} / ${started} > 0.1 and ${failed} >= 3`,
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: "{{ $value | humanizePercentage }} of joins failed in the last 15 minutes",
        description: `Participants reached LiveKit but their session never started (signal_failed) or their media never connected (rtc_failure). Media failing while signalling works means UDP ${mediaPortText(media)}, TCP ${PORTS.rtcTcp} or TURN (UDP ${PORTS.turnUdp}, TLS on ${PORTS.https}) is blocked: check the Hetzner firewall and that the server's public IP in livekit.yaml (rtc.node_ip) is right. Look at LiveKit's log for the participants.`,
      },
    },
  ];
}

export function alertRules(model: HostModel): { groups: AlertGroup[] } {
  assertRenderable(model);
  return {
    groups: [
      { name: "host", rules: hostRules(model.monitoring.monthlyTrafficBytes) },
      { name: "services", rules: serviceRules() },
      { name: "certificates", rules: edgeRules() },
      { name: "livekit", rules: livekitRules(model.media) },
    ],
  };
}

export function renderAlertRules(model: HostModel): string {
  return toYaml(alertRules(model));
}
