// A local stand-in for the secrets endpoints of Supabase's Management API
// (GET, POST and DELETE /v1/projects/{ref}/secrets), holding the project's
// secrets in memory so a test can see what a run left behind.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import { freePort } from "../../local/processes";

export interface ManagementApiStandIn {
  readonly url: string;
  /** The project's secrets by name, as the API holds them now. */
  readonly secrets: Map<string, string>;
  readonly requests: { method: string; url: string; auth: string; body: string }[];
  close(): void;
}

export async function startManagementApi(
  projectRef: string,
  initial: Record<string, string> = {},
): Promise<ManagementApiStandIn> {
  const secrets = new Map(Object.entries(initial));
  const requests: ManagementApiStandIn["requests"] = [];
  const path = `/v1/projects/${projectRef}/secrets`;
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    requests.push({ method: req.method!, url: req.url!, auth: String(req.headers.authorization), body });
    const reply = (status: number, value: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
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
  return { url: `http://127.0.0.1:${port}`, secrets, requests, close: () => server.close() };
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = "";
  for await (const chunk of req) body += chunk;
  return body;
}
