// JSON responses with stable error codes, CORS, and a bounded body reader.

export const CORS_HEADERS: Record<string, string> = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "authorization, x-client-info, apikey, content-type",
  "access-control-allow-methods": "POST, OPTIONS",
  "access-control-max-age": "86400",
};

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...CORS_HEADERS, ...headers },
  });
}

/** A client's mistake or a refusal: an HTTP status, a stable code, a sentence. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function errorResponse(error: HttpError): Response {
  return json(error.status, { error: { code: error.code, message: error.message } }, error.headers);
}

export function preflight(): Response {
  return new Response(null, { status: 204, headers: CORS_HEADERS });
}

export function requirePost(req: Request): void {
  if (req.method !== "POST") {
    throw new HttpError(405, "method_not_allowed", `use POST, not ${req.method}`, { allow: "POST, OPTIONS" });
  }
}

/** Reads at most maxBytes of the body; a longer body is refused, not truncated. */
export async function readBody(req: Request, maxBytes: number): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw new HttpError(413, "body_too_large", `the body may be at most ${maxBytes} bytes`);
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new HttpError(413, "body_too_large", `the body may be at most ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(all);
  } catch {
    throw new HttpError(400, "invalid_body", "the body is not UTF-8 text");
  }
}

/** One log line per request: what happened, never a token, key or body. */
export function logLine(fields: Record<string, string | number | boolean | undefined>): void {
  console.log(JSON.stringify({ ts: new Date().toISOString(), ...fields }));
}
