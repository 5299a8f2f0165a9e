// The rules that run on parsed settings, several keys at a time (host names
// inside the zone, prod's protection, a server type in its location ...).
// A key that failed to parse holds "" or [] here, and its rules skip it.
import { activeToursProblems } from "./activeTours";
import { alertEmailProblems } from "./alerting";
import { CONFIG_FIELDS, fullKey, type StackSettings } from "./fields";
import { serverProblems } from "./hetzner";
import { isAtLeast, isPinned, LIVEKIT_MINIMUM, parseImageRef, versionOfTag } from "./images";
import { deployRangeProblems, operatorRangeProblems } from "./operatorRanges";
import { isHostInZone, isSshPublicKey, isValidHostName } from "./rules";
import { mediaPortProblems } from "../plans/media";
import { nodeNameProblems } from "../plans/nodes";

const UBUNTU_LTS = /^ubuntu-(2[2-9]|[3-9]\d)\.04$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const SUPABASE_REF = /^[a-z]{20}$/;
const MIGRATION_REF = /^\d{14}(_[a-z0-9_]+)?$/;

export function settingsProblems(s: StackSettings): string[] {
  const isProd = s.production || s.stack === "prod";
  return [
    ...nameProblems(s),
    ...sshKeyProblems(s.sshPublicKeys),
    ...operatorRangeProblems(s.operatorCidrs, isProd),
    ...deployRangeProblems(s.deployCidrs),
    ...protectionProblems(s),
    ...serverProblems(s.serverType, s.location),
    ...mediaPortProblems(s.mediaPorts),
    ...(s.image && !UBUNTU_LTS.test(s.image)
      ? [`${fullKey("image")} "${s.image}" is not an Ubuntu LTS image; use e.g. ubuntu-24.04`]
      : []),
    ...imageProblems(s),
    ...activeToursProblems(s),
    ...alertEmailProblems(s),
    ...s.allowDataLossMigrations
      .filter((entry) => !MIGRATION_REF.test(entry))
      .map(
        (entry) =>
          `${fullKey("allowDataLossMigrations")} entry "${entry}" is not a migration; write its file name without .sql (e.g. 20261125100100_livekit_rooms) or its 14-digit version`,
      ),
    ...(s.supabaseProjectRef && !SUPABASE_REF.test(s.supabaseProjectRef)
      ? [
          `${fullKey("supabaseProjectRef")} "${s.supabaseProjectRef}" is not a Supabase project reference; use the 20 lower-case letters of https://<ref>.supabase.co`,
        ]
      : []),
  ];
}

function nameProblems({ zoneName, livekitHost, turnHost, acmeEmail, livekitNodes }: StackSettings): string[] {
  const problems: string[] = [];
  if (zoneName && !isValidHostName(zoneName))
    problems.push(
      `${fullKey("zoneName")} "${zoneName}" is not a valid domain name; use the zone's apex, e.g. roamcast.app`,
    );
  for (const [k, host] of [
    ["livekitHost", livekitHost],
    ["turnHost", turnHost],
  ] as const) {
    if (!host) continue;
    if (!isValidHostName(host))
      problems.push(
        `${fullKey(k)} "${host}" is not a valid host name; use letters, digits and hyphens in dot-separated labels`,
      );
    else if (zoneName && !isHostInZone(host, zoneName))
      problems.push(`${fullKey(k)} "${host}" is not inside the zone "${zoneName}"; use a name ending in .${zoneName}`);
  }
  if (livekitHost && livekitHost === turnHost)
    problems.push(
      `${fullKey("turnHost")} must differ from ${fullKey("livekitHost")} ("${livekitHost}"): Caddy routes :443 by TLS server name, e.g. use turn.${zoneName || "roamcast.app"}`,
    );
  if (livekitHost !== turnHost && isValidHostName(livekitHost) && isValidHostName(turnHost))
    problems.push(...nodeNameProblems(livekitHost, turnHost, livekitNodes));
  if (acmeEmail && !EMAIL.test(acmeEmail))
    problems.push(
      `${fullKey("acmeEmail")} "${acmeEmail}" is not an e-mail address; Let's Encrypt needs one, e.g. ops@${zoneName || "roamcast.app"}`,
    );
  return problems;
}

function sshKeyProblems(keys: readonly string[]): string[] {
  const key = fullKey("sshPublicKeys");
  const malformed = keys.flatMap((k, i) =>
    isSshPublicKey(k)
      ? []
      : [
          `${key}[${i}] is not an OpenSSH public key ("ssh-ed25519 AAAA... comment"); paste the .pub file's line, never a private key`,
        ],
  );
  const seen = new Set<string>();
  const repeated = keys.flatMap((k, i) => {
    const body = k.split(/\s+/).slice(0, 2).join(" ");
    const again = seen.has(body);
    seen.add(body);
    return again ? [`${key}[${i}] repeats an earlier key; Hetzner refuses duplicate keys, remove it`] : [];
  });
  return [...malformed, ...repeated];
}

/**
 * The prod stack keeps its protection on. Retiring it (README, "Protection")
 * takes production: false plus retire: true, so that protection never comes off
 * by a single mistaken value.
 */
function protectionProblems({ stack, production, retire }: StackSettings): string[] {
  const problems: string[] = [];
  if (stack === "prod" && !production && !retire)
    problems.push(
      `${fullKey("production")} must be true on the prod stack: set it with: pulumi config set ${fullKey("production")} true`,
    );
  if (retire && stack !== "prod")
    problems.push(
      `${fullKey("retire")} applies only to the prod stack; on ${stack}, production: false alone turns the protection off`,
    );
  else if (retire && production)
    problems.push(
      `${fullKey("retire")} is true but ${fullKey("production")} is still true: set production false as well to drop the protection, or unset retire`,
    );
  return problems;
}

function imageProblems(s: StackSettings): string[] {
  return (
    [
      "livekitImage",
      "caddyImage",
      "redisImage",
      "prometheusImage",
      "alertmanagerImage",
      "nodeExporterImage",
      "redisExporterImage",
      "blackboxExporterImage",
    ] as const
  ).flatMap((k) => {
    const image = s[k];
    if (!image) return [];
    const example = CONFIG_FIELDS[k].default;
    const ref = parseImageRef(image);
    if (!ref)
      return [
        `${fullKey(k)} "${image}" is not an image reference; write [registry[:port]/]name:tag in lower case, e.g. ${example}`,
      ];
    if (!isPinned(ref))
      return [
        `${fullKey(k)} "${image}" is not pinned; name an exact tag other than latest, e.g. ${example} (optionally @sha256:<digest>)`,
      ];
    return k === "livekitImage" ? livekitVersionProblems(image, ref.tag) : [];
  });
}

function livekitVersionProblems(image: string, tag: string | undefined): string[] {
  const { major, minor, patch } = LIVEKIT_MINIMUM;
  const minimum = `v${major}.${minor}.${patch}`;
  const example = CONFIG_FIELDS.livekitImage.default;
  const version = versionOfTag(tag);
  if (!version)
    return [
      `${fullKey("livekitImage")} "${image}" has no version tag, so its LiveKit version cannot be checked; use a release tag (${minimum} or later), optionally with its digest, e.g. ${example}@sha256:<digest>`,
    ];
  if (isAtLeast(version, LIVEKIT_MINIMUM)) return [];
  return [
    `${fullKey("livekitImage")} "${image}" is older than LiveKit ${minimum}, which fixes Firefox listeners hearing silence (livekit#4599) and reconnects after ~5 min offline (#4580); use ${minimum} or later, e.g. ${example}`,
  ];
}
