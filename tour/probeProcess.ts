// The measuring phones, as their own process: the guide that publishes the
// marker signal and the probe listeners that time it. Their event loop is
// their own, so the crowd of other listeners in the parent process cannot
// delay a marker or an onset (with all of them in one loop, a 2-core machine
// starved the guide and late-stamped the onsets).
import { Room } from "@livekit/rtc-node";
import { type GuideSignal, listen, publishGuideSignal } from "./audio";
import { receivedAudio, receivingIcePath } from "./icePath";
import type { ProbeCommand, ProbeMessage } from "./probes";
import { disposeClients, leaveRooms } from "./rooms";

const send = (message: ProbeMessage) => process.send?.(message);
const rooms: Room[] = [];
const listeners = new Map<string, Room>();
let signal: GuideSignal | undefined;

async function handle(command: ProbeCommand): Promise<void> {
  switch (command.kind) {
    case "guide": {
      const room = new Room();
      rooms.push(room);
      await room.connect(command.url, command.token, { autoSubscribe: false, dynacast: false });
      signal = await publishGuideSignal(room, { red: command.red, onMarker: (at) => send({ kind: "marker", at }) });
      send({ kind: "guiding", identity: room.localParticipant?.identity ?? "" });
      return;
    }
    case "listen": {
      const t0 = performance.now();
      const room = new Room();
      rooms.push(room);
      await room.connect(command.url, command.token, {
        autoSubscribe: true,
        dynacast: false,
        ...(command.rtcConfig ? { rtcConfig: command.rtcConfig } : {}),
      });
      const joinMs = performance.now() - t0;
      listeners.set(command.id, room);
      listen(room, (at) => send({ kind: "onset", id: command.id, at }));
      send({ kind: "listening", id: command.id, joinMs });
      return;
    }
    case "path": {
      const room = listeners.get(command.id);
      if (!room) throw new Error(`no listener ${command.id}`);
      const stats = await room.getRtcStats();
      // LiveKit 1.13 may carry a listener's media on the publisher connection (single peer connection).
      const connections = [stats.subscriberStats, stats.publisherStats];
      send({
        kind: "path",
        id: command.id,
        path: receivingIcePath(connections) ?? null,
        audio: receivedAudio(connections),
      });
      return;
    }
    case "stop": {
      await signal?.stop().catch(() => {});
      await leaveRooms(rooms);
      await disposeClients();
      send({ kind: "stopped" });
      process.disconnect?.();
      process.exit(0);
    }
  }
}

if (!process.send) {
  console.error("probeProcess is started by tour/probes.ts (it talks over an IPC channel)");
  process.exit(2);
}
process.on("message", (command: ProbeCommand) => {
  handle(command).catch((error: unknown) => {
    const id = command.kind === "listen" || command.kind === "path" ? command.id : undefined;
    send({
      kind: "failed",
      command: command.kind,
      id,
      message: error instanceof Error ? error.message : String(error),
    });
  });
});
