// livekit.yaml loaded by a real livekit-server (strict parsing: an unknown or
// misplaced key stops it), backed by Redis running the rendered redis.conf.
// Every port it binds is a free one (the rendered fixed ports — ICE over TCP,
// TURN — moved as the benchmark moves them), so another LiveKit on this
// machine cannot clash with it; the rendered values themselves are checked on
// the config, and the server's log shows it read each moved key where written.
import { AccessToken, RoomServiceClient } from "livekit-server-sdk";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { goTool, type Running, start } from "../../local/processes";
import { nodeModel, TEST_SECRETS, testModel } from "../support/fixtures";
import { localLivekitConfig, type LocalPorts, pickLocalPorts, startLivekit, startRedis } from "../../local/livekit";
import { writeTemp } from "../../local/temp";
import { type FixedPorts, moveFixedPorts, pickFixedPorts } from "../../bench/livekitUnderTest";
import { livekitConfig } from "../../templates/livekit";

const webhook = { url: "http://127.0.0.1:9/livekit-webhook" };
// The one server, and node 2 of a two-node stack (no Redis of its own: here
// its redis.address, node 1's private one, is moved to the local Redis).
for (const [label, model] of [
  ["one server", testModel({ webhook })],
  ["node 2 of 2", nodeModel(2, 2, { webhook })],
] as const) {
  describe(`livekit.yaml under livekit-server (${label})`, () => {
    let redis: Running;
    let livekit: Running;
    let ports: LocalPorts;
    let fixed: FixedPorts;
    let url: string;

    beforeAll(async () => {
      ports = await pickLocalPorts();
      fixed = await pickFixedPorts();
      // Node 2 runs no Redis: the local one runs the single-server redis.conf, with the same password.
      redis = await startRedis(testModel(), ports);
      livekit = await startLivekit(moveFixedPorts(localLivekitConfig(model, ports), fixed), ports.livekit);
      url = `http://127.0.0.1:${ports.livekit}`;
    }, 60_000);
    afterAll(async () => {
      await livekit?.stop();
      await redis?.stop();
    });

    it("answers GET / with 200 OK", async () => {
      const res = await fetch(`${url}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("OK");
    });

    it("renders LiveKit's fixed ports: ICE over TCP 7881, the media mux on UDP 50000-50003, TURN 5349 (TLS ended outside) and 3478", () => {
      const { rtc, turn } = livekitConfig(model);
      expect([rtc.tcp_port, rtc.udp_port, rtc.port_range_start]).toEqual([7881, "50000-50003", undefined]);
      expect([turn.tls_port, turn.external_tls, turn.udp_port]).toEqual([5349, true, 3478]);
    });

    it("started with the rendered port keys (moved to free ports), TURN settings and node IP, and reached Redis with the password", () => {
      const log = livekit.output();
      expect(log).toContain(`"rtc.portTCP":${fixed.rtcTcp}`);
      // One port (the bench's and this test's move): LiveKit logs it as a range ending at 0.
      expect(log).toContain(`"rtc.portUDP":{"Start":${fixed.rtcUdp},"End":0}`);
      expect(log).toContain(`"turn.portTLS":${fixed.turnTls},"turn.externalTLS":true,"turn.portUDP":${fixed.turnUdp}`);
      expect(log).toContain('"nodeIP":"127.0.0.1"');
      expect(log).toContain(`"addr":"127.0.0.1:${ports.redis}"`);
      expect(log).not.toMatch(/NOAUTH|WRONGPASS/);
    });

    it("accepts a token signed with the rendered key, and applies the rendered room limits", async () => {
      const rooms = new RoomServiceClient(url, TEST_SECRETS.apiKey, TEST_SECRETS.apiSecret);
      const room = await rooms.createRoom({ name: "tour-check" });
      expect(room.name).toBe("tour-check");
      expect(room.maxParticipants).toBe(model.room.maxParticipants);
      expect(room.emptyTimeout).toBe(model.room.emptyTimeoutSeconds);
      expect(room.departureTimeout).toBe(model.room.departureTimeoutSeconds);
      expect((await rooms.listRooms()).map((r) => r.name)).toContain("tour-check");
      await rooms.deleteRoom("tour-check");
    });

    it("offers only the rendered audio codecs", async () => {
      const rooms = new RoomServiceClient(url, TEST_SECRETS.apiKey, TEST_SECRETS.apiSecret);
      const room = await rooms.createRoom({ name: "codec-check" });
      expect(room.enabledCodecs.map((c) => c.mime).sort()).toEqual(["audio/opus", "audio/red"]);
      await rooms.deleteRoom("codec-check");
    });

    it("refuses a token signed with another secret", async () => {
      const forged = new RoomServiceClient(url, TEST_SECRETS.apiKey, "another-secret-0123456789abcdefghijklmnop");
      await expect(forged.listRooms()).rejects.toThrow(/401|unauthorized|invalid/i);
      const otherKey = new RoomServiceClient(url, "APIotherKey", TEST_SECRETS.apiSecret);
      await expect(otherKey.listRooms()).rejects.toThrow(/401|unauthorized|invalid/i);
    });

    it("refuses a join token for the signalling endpoint when signed with another secret", async () => {
      const sign = (secret: string) => new AccessToken(TEST_SECRETS.apiKey, secret, { identity: "listener-1" });
      const good = sign(TEST_SECRETS.apiSecret);
      good.addGrant({ roomJoin: true, room: "tour-1" });
      const bad = sign("another-secret-0123456789abcdefghijklmnop");
      bad.addGrant({ roomJoin: true, room: "tour-1" });
      const validate = async (token: string) => (await fetch(`${url}/rtc/validate?access_token=${await token}`)).status;
      expect(await validate(await good.toJwt())).toBe(200);
      expect(await validate(await bad.toJwt())).toBe(401);
    });

    it("an unknown key in livekit.yaml stops livekit-server: its parsing is strict", async () => {
      const broken = {
        ...moveFixedPorts(localLivekitConfig(model, await pickLocalPorts()), await pickFixedPorts()),
        room: { ...localLivekitConfig(model, ports).room, max_participant: 5 },
      };
      const proc = start(goTool("livekit-server"), ["--config", writeTemp("livekit.yaml", stringify(broken))]);
      const code = await Promise.race([
        proc.exited(),
        new Promise<"running">((r) => setTimeout(() => r("running"), 15_000)),
      ]);
      await proc.stop();
      // livekit-server v1.13.5 exits with status 0 here, so the check is that it
      // stopped at once, said why, and never started serving.
      expect(code).not.toBe("running");
      expect(proc.output()).toContain("field max_participant not found in type config.RoomConfig");
      expect(proc.output()).not.toContain("starting LiveKit server");
    });
  });
}
