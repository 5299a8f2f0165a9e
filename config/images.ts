// Container image references, parsed as Docker's reference grammar reads them
// (github.com/distribution/reference): [registry[:port]/]path[:tag][@sha256:digest].
// A first path component is a registry when it has a dot, a port or is
// "localhost", so "registry.example.com:5000/livekit" has no tag.
import { isIP } from "node:net";

export interface ImageRef {
  readonly registry?: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_LABEL = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function parseImageRef(ref: string): ImageRef | undefined {
  const [rest, digestText, ...extra] = ref.split("@");
  if (extra.length > 0 || rest === undefined || (digestText !== undefined && !DIGEST.test(digestText)))
    return undefined;
  const lastSlash = rest.lastIndexOf("/");
  const lastColon = rest.lastIndexOf(":");
  const tag = lastColon > lastSlash ? rest.slice(lastColon + 1) : undefined;
  const name = tag === undefined ? rest : rest.slice(0, lastColon);
  if ((tag !== undefined && !TAG.test(tag)) || name.length > 255) return undefined;
  const parts = name.split("/");
  const first = parts[0]!;
  const registry =
    parts.length > 1 && (/[.:]/.test(first) || first === "localhost" || first !== first.toLowerCase())
      ? parts.shift()
      : undefined;
  if (registry !== undefined && !isRegistry(registry)) return undefined;
  if (!parts.every((p) => PATH_COMPONENT.test(p))) return undefined;
  return { registry, repository: parts.join("/"), tag, digest: digestText };
}

/** host[:port], the host a DNS name, an IPv4 address or a bracketed IPv6 address. */
function isRegistry(text: string): boolean {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(text);
  if (!m || (m[2] !== undefined && Number(m[2]) > 65535)) return false;
  const host = m[1]!;
  if (host.startsWith("[")) return isIP(host.slice(1, -1)) === 6;
  return isIP(host) === 4 || host.split(".").every((label) => DOMAIN_LABEL.test(label));
}

/** The registry's host name, without port or brackets. */
export function registryHost(ref: ImageRef): string | undefined {
  return ref.registry?.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
}

/** Pinned: an exact tag other than latest, or a digest (with no latest tag beside it). */
export function isPinned(ref: ImageRef): boolean {
  return ref.tag !== "latest" && (ref.tag !== undefined || ref.digest !== undefined);
}

/** LiveKit before v1.13.2: Firefox listeners hear silence (livekit#4599), no reconnect after ~5 min offline (#4580). */
export const LIVEKIT_MINIMUM = { major: 1, minor: 13, patch: 2 } as const;

interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly prerelease?: string;
}

/** A release tag such as v1.13.5 or 1.14.0-rc.1; anything else has no version to compare. */
export function versionOfTag(tag: string | undefined): Version | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/.exec(tag ?? "");
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), prerelease: m[4] };
}

/** Semver order against a release: a prerelease of the minimum itself comes before it. */
export function isAtLeast(version: Version, minimum: typeof LIVEKIT_MINIMUM): boolean {
  for (const part of ["major", "minor", "patch"] as const) {
    if (version[part] !== minimum[part]) return version[part] > minimum[part];
  }
  return version.prerelease === undefined;
}
