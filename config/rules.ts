// Small predicates behind the config rules; each is tested on its own.
import { isIP } from "node:net";

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

export function isValidCidr(cidr: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!m) return false;
  const family = isIP(m[1]!);
  const prefix = Number(m[2]);
  return (family === 4 && prefix <= 32) || (family === 6 && prefix <= 128);
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

/** image[:tag][@sha256:digest] with a tag that is not "latest"; a digest alone also pins. */
export function isPinnedImage(ref: string): boolean {
  const m = /^([a-z0-9]+(?:[._/-][a-z0-9]+)*)(?::([\w][\w.-]{0,127}))?(?:@sha256:([a-f0-9]{64}))?$/.exec(ref);
  if (!m) return false;
  const [, , tag, digest] = m;
  if (digest) return tag !== "latest";
  return tag !== undefined && tag !== "latest";
}
