// What secret material and container images look like in rendered text: the
// user data Hetzner keeps in plain text for the server's life, the stack's
// outputs, and the docker-compose.yaml the deploy step pipes to the host.
import { parse } from "yaml";
import { isPinned, parseImageRef } from "../config/images";

/** Shapes of secret material in the files this stack renders (LiveKit, Redis, SSH, cloud-init). */
const SECRET_SHAPES: readonly { readonly what: string; readonly pattern: RegExp }[] = [
  { what: "a private key", pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/ },
  { what: "a Redis password (requirepass)", pattern: /\brequirepass\s+[^\s"']+/ },
  { what: "a LiveKit API key and secret (keys:)", pattern: /^\s*keys:\s*\n\s+[A-Za-z0-9_-]+:\s*\S+/m },
  {
    what: "a password, secret or token setting",
    pattern: /^\s*[-\w]*(password|secret|token|passphrase)\s*[:=]\s*["']?[^\s"'|>]/im,
  },
];

/** What kinds of secret material `text` holds, in SECRET_SHAPES order. */
export function secretShapesIn(text: string): string[] {
  return SECRET_SHAPES.filter((s) => s.pattern.test(text)).map((s) => s.what);
}

/** An output's name that says it holds a secret. */
export const SECRET_NAME = /secret|password|passphrase|private.?key|token|credential/i;

/** Every string in a value, with its path ("a.b[0]"). */
export function stringsOf(value: unknown, path = ""): [string, string][] {
  if (typeof value === "string") return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsOf(v, `${path}[${i}]`));
  if (value && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => stringsOf(v, path ? `${path}.${k}` : k));
  return [];
}

/** The images of a docker-compose document, or [] when `text` is not one. */
export function composeImages(text: string): string[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return [];
  }
  const services = (doc as { services?: unknown } | null)?.services;
  if (!services || typeof services !== "object") return [];
  return Object.values(services as Record<string, { image?: unknown }>)
    .map((s) => s?.image)
    .filter((image): image is string => typeof image === "string");
}

/** The problem with an image reference, or undefined when it is pinned. */
export function imageProblem(image: string): string | undefined {
  const ref = parseImageRef(image);
  if (!ref) return `image "${image}" is not an image reference`;
  if (!isPinned(ref)) return `image "${image}" is not pinned: give an exact tag other than latest, or a digest`;
  return undefined;
}
