// LiveKit's multi-node mode, proved locally: two livekit-server processes
// sharing one Redis. A room lives on one node; a listener whose signalling
// reaches the other node is relayed to it and hears the guide; a node that
// stops takes only its own rooms.
import { AccessToken, RoomServiceClient } from "livekit-server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantsFor, type TourRole } from "../../functions/livekit-token/grants";
import { type LocalCluster, type LocalNode, startLocalCluster } from "../../local/multinode";
import { rtcUdpBounds } from "../../templates/livekit";
import { MARKER_EVERY_MS, nowMs } from "../../tour/audio";
import { type ProbePhones, startProbePhones } from "../../tour/probes";

const ROOM_ON_A = "multinode-tour-a";
const ROOM_ON_B = "multinode-tour-b";
const WINDOW_MS = 4_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("LiveKit multi-node over one Redis: two local nodes", () => {
  let cluster: LocalCluster;
  let nodeA: LocalNode;
  let nodeB: LocalNode;
  /** Tour A: guide via node A, one listener via B, one via A. */
  let tourA: ProbePhones;
  /** Tour B: guide via node B, one listener via A. */
  let tourB: ProbePhones;
  /** Tour B again after node B stopped: guide and listener via node A. */
  let tourBAgain: ProbePhones | undefined;

  function token(identity: string, role: TourRole, room: string): Promise<string> {
    const { apiKey, apiSecret } = cluster.model.secrets;
    const at = new AccessToken(apiKey, apiSecret, { identity, ttl: "10m" });
    at.addGrant(grantsFor(role, room));
    return at.toJwt();
  }

  function roomService(node: LocalNode): RoomServiceClient {
    return new RoomServiceClient(node.httpUrl, cluster.model.secrets.apiKey, cluster.model.secrets.apiSecret);
  }

  /** Onsets a probe heard in [from, to]. */
  const heardBetween = (phones: ProbePhones, id: string, from: number, to: number) =>
    phones.onsets(id).filter((at) => at >= from && at <= to).length;

  /** Whether a media port belongs to a node's UDP range or its ICE/TCP port. */
  const isNodesMediaPort = (node: LocalNode, port: number) =>
    (port >= rtcUdpBounds(node.config.rtc).from && port <= rtcUdpBounds(node.config.rtc).to) ||
    port === node.config.rtc.tcp_port;

  /** Whether a node logged starting a participant's RTC session (it does so only where the room lives). */
  const startedSessionOn = (node: LocalNode, identity: string) =>
    node.process
      .output()
      .split("\n")
      .some((line) => line.includes('"msg":"starting RTC session"') && line.includes(`"participant":"${identity}"`));

  beforeAll(async () => {
    cluster = await startLocalCluster(["A", "B"]);
    [nodeA, nodeB] = cluster.nodes as [LocalNode, LocalNode];
    // LiveKit 1.13.5 places a new room with its node selector (kind "any",
    // sort_by "random" by default), not on the node the first participant
    // reached; CreateRoom with a node id pins it (roomallocator.go SelectRoomNode).
    await roomService(nodeA).createRoom({ name: ROOM_ON_A, nodeId: nodeA.nodeId });
    await roomService(nodeB).createRoom({ name: ROOM_ON_B, nodeId: nodeB.nodeId });

    tourA = startProbePhones();
    tourB = startProbePhones();
    await tourA.guide(nodeA.wsUrl, await token("guide-a", "guide", ROOM_ON_A));
    await tourB.guide(nodeB.wsUrl, await token("guide-b", "guide", ROOM_ON_B));
    await tourA.listen("a-via-b", nodeB.wsUrl, await token("a-via-b", "listener", ROOM_ON_A));
    await tourA.listen("a-via-a", nodeA.wsUrl, await token("a-via-a", "listener", ROOM_ON_A));
    await tourB.listen("b-via-a", nodeA.wsUrl, await token("b-via-a", "listener", ROOM_ON_B));
  }, 90_000);

  afterAll(async () => {
    await Promise.all([tourA, tourB, tourBAgain].map((phones) => phones?.stop().catch(() => {})));
    await cluster?.stop();
  });

  it("both nodes registered in the one Redis, and each room is hosted by the node it was placed on", () => {
    expect(nodeA.nodeId).not.toBe(nodeB.nodeId);
    expect(cluster.registeredNodeIds().sort()).toEqual([nodeA.nodeId, nodeB.nodeId].sort());
    const placed = cluster.roomNodes();
    expect(placed[ROOM_ON_A]).toBe(nodeA.nodeId);
    expect(placed[ROOM_ON_B]).toBe(nodeB.nodeId);
  });

  it("a listener whose signalling reaches node B hears the guide of a room on node A, its media from A", async () => {
    await tourA.firstOnset("a-via-b", 20_000);
    const from = nowMs();
    await sleep(WINDOW_MS);
    const expected = WINDOW_MS / MARKER_EVERY_MS;
    expect(heardBetween(tourA, "a-via-b", from, nowMs())).toBeGreaterThanOrEqual(0.8 * expected);
    // Signalling on B, media from A: the candidate it receives on is one of A's ports.
    const { path } = await tourA.icePath("a-via-b");
    expect(path, "no ICE path selected").not.toBeNull();
    expect(isNodesMediaPort(nodeA, path!.remotePort), `remote port ${path!.remotePort}`).toBe(true);
    // It only ever reached node B's URL, yet its RTC session runs on node A:
    // B relayed its signalling to the room's node.
    expect(startedSessionOn(nodeA, "a-via-b"), "node A runs a-via-b's session").toBe(true);
    expect(startedSessionOn(nodeB, "a-via-b"), "node B runs a-via-b's session").toBe(false);
  });

  it("a listener whose signalling reaches node A hears the guide of the room on node B, its media from B", async () => {
    await tourB.firstOnset("b-via-a", 20_000);
    await tourA.firstOnset("a-via-a", 20_000);
    expect(startedSessionOn(nodeB, "b-via-a"), "node B runs b-via-a's session").toBe(true);
    expect(startedSessionOn(nodeA, "b-via-a"), "node A runs b-via-a's session").toBe(false);
    const { path } = await tourB.icePath("b-via-a");
    expect(path, "no ICE path selected").not.toBeNull();
    expect(isNodesMediaPort(nodeB, path!.remotePort), `remote port ${path!.remotePort}`).toBe(true);
  });

  it("stopping node B takes only its room: node A's tour goes on", async () => {
    // Both tours are heard right up to the stop, so silence afterwards is the stop's doing.
    const justBefore = nowMs();
    expect(heardBetween(tourB, "b-via-a", justBefore - 2_000, justBefore)).toBeGreaterThanOrEqual(3);
    expect(heardBetween(tourA, "a-via-a", justBefore - 2_000, justBefore)).toBeGreaterThanOrEqual(3);
    const stopped = performance.now();
    await nodeB.stop();
    // Bounded: SIGTERM, then SIGKILL after 5 s (LiveKit drains while participants remain).
    expect(performance.now() - stopped).toBeLessThan(10_000);
    expect(nodeB.process.child.exitCode !== null || nodeB.process.child.signalCode !== null).toBe(true);

    // Let in-flight audio and the clients' reactions settle, then listen.
    await sleep(1_500);
    const from = nowMs();
    await sleep(WINDOW_MS);
    const to = nowMs();
    const expected = WINDOW_MS / MARKER_EVERY_MS;
    // Tour A's guide still sends, and its listener on node A still hears it.
    expect(tourA.markersBetween(from, to)).toBeGreaterThanOrEqual(0.8 * expected);
    expect(heardBetween(tourA, "a-via-a", from, to)).toBeGreaterThanOrEqual(0.8 * expected);
    // Tour B's room is gone with its node: its listener, signalling on the
    // surviving node A, hears nothing more.
    expect(heardBetween(tourB, "b-via-a", from, to)).toBe(0);
    const onA = await roomService(nodeA).listParticipants(ROOM_ON_A);
    expect(onA.map((p) => p.identity)).toEqual(expect.arrayContaining(["a-via-a", "guide-a"]));
  });

  it("tour B comes back on node A when its guide rejoins: the room name moves to a live node", async () => {
    // Node B stopped refreshing its stats in Redis; after LiveKit's 5 s
    // availability window a join re-places the room (roomallocator.go).
    tourBAgain = startProbePhones();
    await tourBAgain.guide(nodeA.wsUrl, await token("guide-b", "guide", ROOM_ON_B));
    await tourBAgain.listen("b-again", nodeA.wsUrl, await token("b-again", "listener", ROOM_ON_B));
    await tourBAgain.firstOnset("b-again", 20_000);
    expect(cluster.roomNodes()[ROOM_ON_B]).toBe(nodeA.nodeId);
    expect(cluster.roomNodes()[ROOM_ON_A]).toBe(nodeA.nodeId);
  });
});
