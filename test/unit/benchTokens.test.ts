// bench/tokens.ts's lean HTTP client: prebuilt requests on keep-alive
// connections, answers read by content-length, and every answer it cannot
// read counted as an error rather than a success.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { KeepAliveCaller, parseResponse, postRequest } from "../../bench/tokens";

const ok = (body: string) =>
  Buffer.from(
    `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );

describe("parseResponse", () => {
  it("waits for the whole head and body, then gives status and body", () => {
    const whole = ok('{"token":"é"}');
    for (const cut of [5, whole.indexOf("\r\n\r\n") + 2, whole.length - 1])
      expect(parseResponse(whole.subarray(0, cut))).toBeUndefined();
    expect(parseResponse(whole)).toEqual({ status: 200, body: '{"token":"é"}', close: false });
  });

  it("reads the status of a refusal and a connection the server will close", () => {
    const head = "HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}";
    expect(parseResponse(Buffer.from(head))).toEqual({ status: 401, body: "{}", close: true });
  });

  it.each([
    [
      "a chunked answer",
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
      "HTTP 200 without a content-length",
    ],
    [
      "more than one answer",
      "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}HTTP/1.1",
      "HTTP 200 followed by 8 more bytes",
    ],
    ["anything but HTTP/1.1", "SSH-2.0-OpenSSH\r\n\r\n", 'not an HTTP/1.1 response: "SSH-2.0-OpenSSH"'],
  ])("refuses %s, saying what it got", (_what, text, says) => {
    expect(() => parseResponse(Buffer.from(text))).toThrow(says);
  });
});

describe("KeepAliveCaller", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

  async function serve(answer: (req: IncomingMessage, body: string, res: ServerResponse) => void) {
    let connections = 0;
    const seen: { headers: IncomingMessage["headers"]; body: string }[] = [];
    server = createServer((req, res) => {
      let body = "";
      req
        .on("data", (d) => (body += d))
        .on("end", () => {
          seen.push({ headers: req.headers, body });
          answer(req, body, res);
        });
    }).on("connection", () => connections++);
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return { url, seen, connections: () => connections };
  }
  const request = (url: URL) => postRequest(url, { authorization: "Bearer abc.def.ghi" }, '{"tour_id":"t"}');

  it("sends its request as built, again and again on one connection", async () => {
    const site = await serve((_req, body, res) => res.end(JSON.stringify({ echo: body })));
    const caller = new KeepAliveCaller(site.url, request(site.url));
    for (let i = 0; i < 3; i++) expect((await caller.ask()).body).toBe('{"echo":"{\\"tour_id\\":\\"t\\"}"}');
    caller.close();
    expect(site.connections()).toBe(1);
    expect(site.seen[2]!.headers).toMatchObject({ authorization: "Bearer abc.def.ghi", "content-length": "15" });
  });

  it("counts a refusal as an error with its status and body", async () => {
    const site = await serve((_req, _body, res) => {
      res.statusCode = 401;
      res.end(JSON.stringify({ error: "no" }));
    });
    const caller = new KeepAliveCaller(site.url, request(site.url));
    const outcome = await caller.ask();
    caller.close();
    expect(outcome).toMatchObject({ error: 'HTTP 401: {"error":"no"}' });
    expect(outcome.body).toBeUndefined();
  });

  it("opens a new connection after the server closed one, and counts an answer it cannot read as an error", async () => {
    let n = 0;
    const site = await serve((_req, _body, res) => {
      if (++n === 1) return res.setHeader("connection", "close").end("{}");
      res.write("{"); // no content-length: chunked
      res.end("}");
    });
    const caller = new KeepAliveCaller(site.url, request(site.url));
    expect(await caller.ask()).toMatchObject({ body: "{}" });
    expect(await caller.ask()).toMatchObject({ error: "HTTP 200 without a content-length" });
    caller.close();
    expect(site.connections()).toBe(2);
  });

  it("counts a connection that cannot be made as an error", async () => {
    const site = await serve((_req, _body, res) => res.end("{}"));
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    const outcome = await new KeepAliveCaller(site.url, request(site.url)).ask();
    expect(outcome.error).toMatch(/^connection closed before the answer \(connect ECONNREFUSED/);
  });
});
