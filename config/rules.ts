// Small predicates behind the config rules; each is tested on its own.
import { parseCidr } from "./cidr";
import { isPinned, parseImageRef } from "./images";

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

export function isValidHostName(name: string): boolean {
  if (name.length > 253) return false;
  const labels = name.split(".");
  return labels.length >= 2 && labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1]!);
}

/** True when host is a strict sub-name of zone (the apex itself cannot carry both names). */
export function isHostInZone(host: string, zone: string): boolean {
  return host.endsWith(`.${zone}`);
}

/** An IPv4 or IPv6 address with a prefix length; host bits are the operator-range rule's business. */
export function isValidCidr(cidr: string): boolean {
  return parseCidr(cidr) !== undefined;
}

const KEY_TYPES = [
  "ssh-ed25519",
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
];

export function isSshPublicKey(line: string): boolean {
  const [type, body] = line.trim().split(/\s+/);
  if (!type || !body || !KEY_TYPES.includes(type) || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return false;
  // The base64 body starts with the key type again, length-prefixed.
  const decoded = Buffer.from(body, "base64");
  if (decoded.length < 4 + type.length) return false;
  const len = decoded.readUInt32BE(0);
  return len === type.length && decoded.subarray(4, 4 + len).toString("latin1") === type;
}

/** [registry[:port]/]name[:tag][@sha256:digest] with a tag other than latest, or a digest. */
export function isPinnedImage(ref: string): boolean {
  const parsed = parseImageRef(ref);
  return parsed !== undefined && isPinned(parsed);
}
