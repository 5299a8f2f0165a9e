// A local stand-in for the secrets and function endpoints of Supabase's
// Management API (GET, POST and DELETE /v1/projects/{ref}/secrets; POST
// /v1/projects/{ref}/functions/deploy?slug=…, multipart; DELETE
// /v1/projects/{ref}/functions/{slug}), holding the project's secrets and
// functions in memory so a test can see what a run left behind.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import { freePort } from "../../local/processes";

export interface ManagementApiStandIn {
  readonly url: string;
  /** The project's secrets by name, as the API holds them now. */
  readonly secrets: Map<string, string>;
  readonly requests: { method: string; url: string; auth: string; body: string }[];
  /** The project's functions by slug, as the last deploy left them. */
  readonly functions: Map<string, DeployedFunction>;
  /** Every deploy received, in order (the upload's metadata and files). */
  readonly deploys: DeployedFunction[];
  close(): void;
}

export interface DeployedFunction {
  readonly slug: string;
  readonly metadata: Record<string, unknown>;
  /** Each `file` part by its filename (path relative to functions/) → text. */
  readonly files: Record<string, string>;
}

export async function startManagementApi(
  projectRef: string,
  initial: Record<string, string> = {},
): Promise<ManagementApiStandIn> {
  const secrets = new Map(Object.entries(initial));
  const requests: ManagementApiStandIn["requests"] = [];
  const functions = new Map<string, DeployedFunction>();
  const deploys: DeployedFunction[] = [];
  const path = `/v1/projects/${projectRef}/secrets`;
  const server = createServer(async (req, res) => {
    const raw = await readBody(req);
    const body = raw.toString("utf8");
    requests.push({ method: req.method!, url: req.url!, auth: String(req.headers.authorization), body });
    const reply = (status: number, value: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
    if (req.url!.startsWith(`/v1/projects/${projectRef}/functions`)) {
      const answer = await functionCall(req, raw, projectRef, functions, deploys);
      return reply(answer.status, answer.value);
    }
    if (req.url !== path) return reply(404, { message: "Not Found" });
    if (req.method === "GET") {
      // The API lists names with a digest of each value, never the value.
      const digest = (v: string) => createHash("sha256").update(v).digest("hex");
      return reply(
        200,
        [...secrets].map(([name, value]) => ({ name, value: digest(value) })),
      );
    }
    const parsed = JSON.parse(body || "null");
    if (req.method === "POST" && Array.isArray(parsed)) {
      for (const { name, value } of parsed) secrets.set(name, value);
      return reply(201, {});
    }
    if (req.method === "DELETE" && Array.isArray(parsed) && parsed.every((n) => typeof n === "string")) {
      for (const name of parsed) secrets.delete(name);
      return reply(200, {});
    }
    return reply(400, { message: "bad request" });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${port}`, secrets, requests, functions, deploys, close: () => server.close() };
}

/** A deploy (multipart, parsed by the standard Request) or a delete of one function. */
async function functionCall(
  req: IncomingMessage,
  raw: Buffer,
  projectRef: string,
  functions: Map<string, DeployedFunction>,
  deploys: DeployedFunction[],
): Promise<{ status: number; value: unknown }> {
  const url = new URL(req.url!, "http://stand-in");
  const slug = url.searchParams.get("slug");
  if (req.method === "POST" && url.pathname === `/v1/projects/${projectRef}/functions/deploy` && slug) {
    const form = await new Request(url, {
      method: "POST",
      headers: { "content-type": String(req.headers["content-type"]) },
      body: raw,
    })
      .formData()
      .catch(() => undefined);
    const metadata = form?.get("metadata");
    if (!form || typeof metadata !== "string") return { status: 400, value: { message: "no metadata part" } };
    const files: Record<string, string> = {};
    for (const part of form.getAll("file")) if (typeof part !== "string") files[part.name] = await part.text();
    const deployed = { slug, metadata: JSON.parse(metadata) as Record<string, unknown>, files };
    deploys.push(deployed);
    functions.set(slug, deployed);
    return { status: 201, value: { id: slug, slug, version: deploys.length, status: "ACTIVE" } };
  }
  const deleted = new RegExp(`^/v1/projects/${projectRef}/functions/([^/]+)$`).exec(url.pathname)?.[1];
  if (req.method === "DELETE" && deleted) {
    const found = functions.delete(decodeURIComponent(deleted));
    return found ? { status: 200, value: {} } : { status: 404, value: { message: "Function not found" } };
  }
  return { status: 404, value: { message: "Not Found" } };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
