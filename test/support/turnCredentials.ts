// TURN credentials as livekit-server 1.13.5 checks them (pkg/service/turn.go,
// TURNAuthHandler): username base62("<apiKey>|<participantID>|<expiry>"),
// password base62(sha256("<apiSecret>|<participantID>|<expiry>")). A client
// that brings its own iceServers (to force one path) needs them, because its
// list replaces the one LiveKit sends. base62 is github.com/jxskiss/base62's
// bit-packing encoding (6 bits a character from the end, 5 when the value's
// top four bits are 1111), not a big-number base conversion.
import { createHash } from "node:crypto";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const COMPACT = 0x1e;
const LOW5 = 0x1f;

export function base62Encode(src: Uint8Array): string {
  if (src.length === 0) return "";
  let pos = src.length * 8;
  let out = "";
  for (;;) {
    let next = pos - 6;
    let index = 0;
    let offset = 0;
    let width: number;
    if (next <= 0) {
      next = 0;
      width = pos;
    } else {
      index = Math.floor(next / 8);
      offset = next % 8;
      width = Math.min((index + 1) * 8 - next, 6);
    }
    let value = (src[index]! >> (8 - offset - width)) & ((1 << width) - 1);
    if (width < 6 && next > 0) {
      const rest = 6 - width;
      value = ((value << rest) | (src[index + 1]! >> (8 - rest))) & 0xff;
    }
    if ((value & COMPACT) === COMPACT) {
      if (next > 0 || value > LOW5) next++;
      value &= LOW5;
    }
    pos = next;
    out += ALPHABET[value];
    if (pos <= 0) return out;
  }
}

export function base62Decode(text: string): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const x = ALPHABET.indexOf(text[i]!);
    if (x < 0) throw new Error(`base62Decode: "${text[i]}" at ${i} is not base62`);
    acc |= x << bits;
    bits += i === text.length - 1 ? 32 - Math.clz32(x) : (x & COMPACT) === COMPACT ? 5 : 6;
    if (bits >= 8) {
      out.push(acc & 0xff);
      bits %= 8;
      acc >>= 8;
    }
  }
  if (bits > 0) out.push(acc & 0xff);
  return Uint8Array.from(out.reverse());
}

export interface TurnCredentials {
  readonly username: string;
  readonly password: string;
}

export function turnCredentials(
  apiKey: string,
  apiSecret: string,
  participantId: string,
  expiresAtSeconds: number,
): TurnCredentials {
  const username = base62Encode(Buffer.from(`${apiKey}|${participantId}|${expiresAtSeconds}`));
  const digest = createHash("sha256").update(`${apiSecret}|${participantId}|${expiresAtSeconds}`).digest();
  return { username, password: base62Encode(digest) };
}
