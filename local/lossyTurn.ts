// A listener on a lossy mobile network, on one machine: a small TURN server
// (RFC 8656, UDP, the subset libwebrtc uses) that loses a share of the audio
// on its way to the client. The listener is told to use it as its only path
// (relay-only ICE), so every packet between it and LiveKit crosses here. Only
// RTP towards the listener is dropped; STUN, DTLS and RTCP pass, so the session
// sets up as on a good network, and LiveKit learns of the loss from the
// listener's receiver reports (livekit_packet_loss_total, direction outgoing).
//
// Tried first (2026-11-30): LiveKit's own TURN behind a lossy UDP proxy — it
// refuses loopback peers (turn.allow_restricted_peer_cidrs), and even allowed,
// LiveKit's media sockets here are bound to the machine's interface address
// while it advertises 127.0.0.1 (rtc.node_ip), so the client's permission for
// the advertised address never matches the media's source. A lossy NAT given
// as STUN server — rtc-node still offered its host candidates with
// TRANSPORT_NOHOST, and the direct path won. This relay forwards whatever the
// peer's address, and relay-only ICE leaves the client no other path.
import { createHash, createHmac, randomBytes } from "node:crypto";
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";

export interface LossyTurn {
  /** ICE server settings for the listener. */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** RTP packets dropped and delivered to the listener so far. */
  counts(): { dropped: number; delivered: number };
  stop(): Promise<void>;
}

const COOKIE = 0x2112a442;
const REALM = "roamcast.local";
const ATTR = {
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  CHANNEL_NUMBER: 0x000c,
  LIFETIME: 0x000d,
  XOR_PEER_ADDRESS: 0x0012,
  DATA: 0x0013,
  REALM: 0x0014,
  NONCE: 0x0015,
  XOR_RELAYED_ADDRESS: 0x0016,
  XOR_MAPPED_ADDRESS: 0x0020,
} as const;
const METHOD = { ALLOCATE: 0x003, REFRESH: 0x004, SEND: 0x006, DATA: 0x007, PERMISSION: 0x008, CHANNEL: 0x009 };

/** RTP, not RTCP, by its first two bytes (RFC 7983, RFC 5761 demultiplexing). */
export function isRtp(packet: Buffer): boolean {
  if (packet.length < 12) return false;
  const payloadType = packet[1]! & 0x7f;
  return packet[0]! >= 128 && packet[0]! <= 191 && !(payloadType >= 64 && payloadType <= 95);
}

interface Stun {
  readonly type: number;
  readonly transaction: Buffer;
  readonly attrs: Map<number, Buffer>;
}

function parseStun(packet: Buffer): Stun | undefined {
  if (packet.length < 20 || packet[0]! > 1 || packet.readUInt32BE(4) !== COOKIE) return undefined;
  const attrs = new Map<number, Buffer>();
  for (let at = 20; at + 4 <= packet.length;) {
    const length = packet.readUInt16BE(at + 2);
    attrs.set(packet.readUInt16BE(at), packet.subarray(at + 4, at + 4 + length));
    at += 4 + Math.ceil(length / 4) * 4;
  }
  return { type: packet.readUInt16BE(0), transaction: packet.subarray(8, 20), attrs };
}

function xorAddress(address: string, port: number): Buffer {
  const value = Buffer.alloc(8);
  value.writeUInt16BE(0x0001, 0);
  value.writeUInt16BE(port ^ (COOKIE >>> 16), 2);
  const ip = address.split(".").reduce((n, octet) => (n << 8) + Number(octet), 0) >>> 0;
  value.writeUInt32BE((ip ^ COOKIE) >>> 0, 4);
  return value;
}

function readXorAddress(value: Buffer): { address: string; port: number } {
  const ip = (value.readUInt32BE(4) ^ COOKIE) >>> 0;
  return {
    address: [24, 16, 8, 0].map((s) => (ip >>> s) & 0xff).join("."),
    port: value.readUInt16BE(2) ^ (COOKIE >>> 16),
  };
}

function attribute(type: number, value: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt16BE(type, 0);
  header.writeUInt16BE(value.length, 2);
  return Buffer.concat([header, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
}

/** A STUN message; with `key`, signed with MESSAGE-INTEGRITY (HMAC-SHA1 over the message so far). */
function stunMessage(type: number, transaction: Buffer, attrs: Buffer[], key?: Buffer): Buffer {
  const body = Buffer.concat(attrs);
  const header = Buffer.alloc(20);
  header.writeUInt16BE(type, 0);
  header.writeUInt16BE(body.length + (key ? 24 : 0), 2);
  header.writeUInt32BE(COOKIE, 4);
  transaction.copy(header, 8);
  const message = Buffer.concat([header, body]);
  if (!key) return message;
  return Buffer.concat([message, attribute(ATTR.MESSAGE_INTEGRITY, createHmac("sha1", key).update(message).digest())]);
}

const endpoint = (r: { address: string; port: number }) => `${r.address}:${r.port}`;

function bound(socket: Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => resolve(socket.address().port));
  });
}

interface Allocation {
  readonly relay: Socket;
  readonly channels: Map<number, { address: string; port: number }>;
  readonly channelOf: Map<string, number>;
}

/** The server's state: its socket, the credentials' key, and one allocation per client endpoint. */
interface TurnState {
  readonly server: Socket;
  readonly key: Buffer;
  readonly nonce: Buffer;
  readonly lossRatio: number;
  readonly allocations: Map<string, Promise<Allocation>>;
  readonly counts: { dropped: number; delivered: number };
}

/** What a peer (LiveKit) sends to the relay address goes to the client, RTP lossily. */
function toClient(state: TurnState, allocation: Allocation, client: RemoteInfo, data: Buffer, peer: RemoteInfo) {
  if (isRtp(data)) {
    if (Math.random() < state.lossRatio) return void state.counts.dropped++;
    state.counts.delivered++;
  }
  const channel = allocation.channelOf.get(endpoint(peer));
  if (channel !== undefined) {
    const header = Buffer.alloc(4);
    header.writeUInt16BE(channel, 0);
    header.writeUInt16BE(data.length, 2);
    state.server.send(Buffer.concat([header, data]), client.port, client.address);
    return;
  }
  // No channel for this source (LiveKit's media leaves from the interface address): a Data indication.
  const indication = stunMessage(0x0010 | METHOD.DATA, randomBytes(12), [
    attribute(ATTR.XOR_PEER_ADDRESS, xorAddress(peer.address, peer.port)),
    attribute(ATTR.DATA, data),
  ]);
  state.server.send(indication, client.port, client.address);
}

async function allocate(state: TurnState, client: RemoteInfo): Promise<Allocation> {
  const relay = createSocket("udp4");
  const allocation: Allocation = { relay, channels: new Map(), channelOf: new Map() };
  relay.on("message", (data, peer) => toClient(state, allocation, client, data, peer));
  await bound(relay);
  return allocation;
}

async function allocateAnswer(state: TurnState, message: Stun, client: RemoteInfo): Promise<Buffer> {
  if (!message.attrs.has(ATTR.MESSAGE_INTEGRITY)) {
    const error = Buffer.concat([Buffer.from([0, 0, 4, 1]), Buffer.from("Unauthorized")]);
    return stunMessage(0x0110 | METHOD.ALLOCATE, message.transaction, [
      attribute(ATTR.ERROR_CODE, error),
      attribute(ATTR.REALM, Buffer.from(REALM)),
      attribute(ATTR.NONCE, state.nonce),
    ]);
  }
  if (!state.allocations.has(endpoint(client))) state.allocations.set(endpoint(client), allocate(state, client));
  const { relay } = await state.allocations.get(endpoint(client))!;
  const lifetime = Buffer.alloc(4);
  lifetime.writeUInt32BE(600);
  return stunMessage(
    0x0100 | METHOD.ALLOCATE,
    message.transaction,
    [
      attribute(ATTR.XOR_RELAYED_ADDRESS, xorAddress("127.0.0.1", relay.address().port)),
      attribute(ATTR.XOR_MAPPED_ADDRESS, xorAddress(client.address, client.port)),
      attribute(ATTR.LIFETIME, lifetime),
    ],
    state.key,
  );
}

/** The answer to a client's request (none to an indication). Requests' own integrity is not checked: one local client. */
async function answer(state: TurnState, message: Stun, client: RemoteInfo): Promise<Buffer | undefined> {
  const reply = (attrs: Buffer[] = []) => stunMessage(0x0100 | message.type, message.transaction, attrs, state.key);
  const peer = () => readXorAddress(message.attrs.get(ATTR.XOR_PEER_ADDRESS)!);
  const allocation = state.allocations.get(endpoint(client));
  switch (message.type) {
    case METHOD.ALLOCATE:
      return allocateAnswer(state, message, client);
    case METHOD.REFRESH:
      return reply([attribute(ATTR.LIFETIME, message.attrs.get(ATTR.LIFETIME) ?? Buffer.from([0, 0, 2, 0x58]))]);
    case METHOD.PERMISSION:
      return reply();
    case METHOD.CHANNEL: {
      const channel = message.attrs.get(ATTR.CHANNEL_NUMBER)!.readUInt16BE(0);
      const bound = await allocation;
      bound?.channels.set(channel, peer());
      bound?.channelOf.set(endpoint(peer()), channel);
      return reply();
    }
    case 0x0010 | METHOD.SEND: {
      const data = message.attrs.get(ATTR.DATA);
      if (data) (await allocation)?.relay.send(data, peer().port, peer().address);
      return undefined;
    }
  }
  return undefined;
}

function fromClient(state: TurnState, packet: Buffer, client: RemoteInfo): void {
  if (packet[0]! >= 0x40 && packet[0]! <= 0x7f && packet.length >= 4) {
    // ChannelData: to the peer bound to the channel.
    void state.allocations.get(endpoint(client))?.then((a) => {
      const peer = a.channels.get(packet.readUInt16BE(0));
      if (peer) a.relay.send(packet.subarray(4, 4 + packet.readUInt16BE(2)), peer.port, peer.address);
    });
    return;
  }
  const message = parseStun(packet);
  if (!message) return;
  void answer(state, message, client).then((response) => {
    if (response) state.server.send(response, client.port, client.address);
  });
}

/** Starts the relay on 127.0.0.1; `lossRatio` of the RTP sent to the listener is dropped. */
export async function startLossyTurn(lossRatio: number): Promise<LossyTurn> {
  const username = "listener";
  const password = randomBytes(12).toString("hex");
  const state: TurnState = {
    server: createSocket("udp4"),
    key: createHash("md5").update(`${username}:${REALM}:${password}`).digest(),
    nonce: Buffer.from(randomBytes(8).toString("hex")),
    lossRatio,
    allocations: new Map(),
    counts: { dropped: 0, delivered: 0 },
  };
  state.server.on("message", (packet, client) => fromClient(state, packet, client));
  const port = await bound(state.server);
  const close = (socket: Socket) => new Promise<void>((resolve) => socket.close(() => resolve()));
  return {
    url: `turn:127.0.0.1:${port}?transport=udp`,
    username,
    password,
    counts: () => ({ ...state.counts }),
    async stop() {
      const relays = (await Promise.all(state.allocations.values())).map((a) => a.relay);
      await Promise.all([state.server, ...relays].map(close));
    },
  };
}
