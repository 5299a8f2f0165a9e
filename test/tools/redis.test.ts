// redis.conf loaded by Debian's redis-server.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderHost } from "../../templates";
import { freePort, type Running, start, systemTool, waitFor } from "../../local/processes";
import { writeTemp } from "../../local/temp";
import { nodeModel, TEST_SECRETS, testModel } from "../support/fixtures";

type Reply = string | number | null | Reply[];

/** Parses one RESP reply at offset; undefined while incomplete. Errors come back as "-MESSAGE". */
function parseReply(buf: string, at: number): [Reply, number] | undefined {
  const eol = buf.indexOf("\r\n", at);
  if (eol < 0) return undefined;
  const head = buf[at];
  const body = buf.slice(at + 1, eol);
  if (head === "+") return [body, eol + 2];
  if (head === "-") return [`-${body}`, eol + 2];
  if (head === ":") return [Number(body), eol + 2];
  if (head === "$") {
    const len = Number(body);
    if (len < 0) return [null, eol + 2];
    if (buf.length < eol + 2 + len + 2) return undefined;
    return [buf.slice(eol + 2, eol + 2 + len), eol + 2 + len + 2];
  }
  if (head === "*") {
    const items: Reply[] = [];
    let next = eol + 2;
    for (let i = 0; i < Number(body); i++) {
      const item = parseReply(buf, next);
      if (!item) return undefined;
      items.push(item[0]);
      next = item[1];
    }
    return [items, next];
  }
  throw new Error(`unexpected RESP reply: ${JSON.stringify(buf.slice(at, at + 40))}`);
}

/** Sends commands on one connection and returns their replies. */
async function redisCommand(port: number, ...commands: string[][]): Promise<Reply[]> {
  return redisCommandAt("127.0.0.1", port, ...commands);
}

async function redisCommandAt(host: string, port: number, ...commands: string[][]): Promise<Reply[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    let data = "";
    socket.setTimeout(3_000, () => socket.destroy(new Error("redis did not answer")));
    socket.on("data", (d) => {
      data += d;
      const replies: Reply[] = [];
      let at = 0;
      while (replies.length < commands.length) {
        const parsed = parseReply(data, at);
        if (!parsed) return;
        replies.push(parsed[0]);
        at = parsed[1];
      }
      socket.end();
      resolve(replies);
    });
    socket.on("error", reject);
    socket.on("connect", () => {
      for (const args of commands)
        socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`);
    });
  });
}

/** Node 1's private address, which this machine has not: another loopback address stands for it. */
const PRIVATE_IP = "10.42.1.11";
const STAND_IN = "127.0.0.2";

// The one server, and node 1 of a two-node stack, whose Redis also listens on its private address.
for (const [label, model, bind] of [
  ["one server", testModel(), "127.0.0.1 -::1"],
  ["node 1 of 2", nodeModel(1, 2), `127.0.0.1 -::1 ${STAND_IN}`],
] as const) {
  describe(`redis.conf under redis-server (${label})`, () => {
    let redis: Running;
    let port: number;

    beforeAll(async () => {
      port = await freePort();
      const conf = renderHost(model).files.find((f) => f.name === "redis.conf")!.content;
      // Only the port moves (and the private address), so a test run never meets another Redis.
      const local = conf.replace(/^port 6379$/m, `port ${port}`).replace(PRIVATE_IP, STAND_IN);
      expect(local).not.toBe(conf);
      redis = start(systemTool("redis-server", "redis-server"), [writeTemp("redis.conf", local)]);
      await waitFor("redis to listen", async () =>
        (await redisCommand(port, ["PING"]))[0] !== undefined ? true : undefined,
      );
    });
    afterAll(async () => redis?.stop());

    it("refuses commands from a client that has not authenticated", async () => {
      const [reply, write] = await redisCommand(port, ["PING"], ["SET", "room", "x"]);
      expect(reply).toMatch(/^-NOAUTH/);
      expect(write).toMatch(/^-NOAUTH/);
    });

    it("refuses a wrong password and accepts the rendered one", async () => {
      expect((await redisCommand(port, ["AUTH", "not-the-password"]))[0]).toMatch(/^-WRONGPASS/);
      expect(await redisCommand(port, ["AUTH", TEST_SECRETS.redisPassword], ["PING"])).toEqual(["OK", "PONG"]);
    });

    it("runs with protected mode, loopback binding and no persistence, as rendered", async () => {
      const auth = ["AUTH", TEST_SECRETS.redisPassword];
      const replies = await redisCommand(
        port,
        auth,
        ["CONFIG", "GET", "protected-mode"],
        ["CONFIG", "GET", "bind"],
        ["CONFIG", "GET", "save"],
        ["CONFIG", "GET", "appendonly"],
        ["CONFIG", "GET", "maxmemory-policy"],
      );
      expect(replies).toEqual([
        "OK",
        ["protected-mode", "yes"],
        ["bind", bind],
        ["save", ""],
        ["appendonly", "no"],
        ["maxmemory-policy", "noeviction"],
      ]);
      expect(redis.output()).not.toMatch(/Bad directive|FATAL CONFIG/);
    });

    if (bind.includes(STAND_IN))
      it("answers on the private address too, only with the password", async () => {
        expect((await redisCommandAt(STAND_IN, port, ["PING"]))[0]).toMatch(/^-NOAUTH/);
        expect(await redisCommandAt(STAND_IN, port, ["AUTH", TEST_SECRETS.redisPassword], ["PING"])).toEqual([
          "OK",
          "PONG",
        ]);
      });
  });
}
