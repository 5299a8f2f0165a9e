// The active-tour guard: a shell fragment the apply step runs on the host
// before it changes anything, asking the host's own LiveKit which rooms have
// people in them.
//
// Why on the host, over loopback, and why python3: the API port (7880) is
// bound to loopback only, so the host is the one place that can ask without
// opening anything; the host's live livekit.yaml holds the key the running
// server accepts (a key rotation in this very change would make the new key
// wrong for the old server); python3 is always there on Ubuntu 24.04
// (cloud-init is written in it), and its standard library signs the HS256
// token and speaks Twirp's JSON without installing anything. The secret is read
// from the file inside the script: it is never on a command line, in the
// environment, in the rendered script or in a log line.
//
// Each room's tour end comes from the room's metadata, which the token
// function sets through the token's roomConfig (functions/livekit-token/grants.ts,
// tourRoomMetadata): LiveKit applies a token's roomConfig.metadata when a join
// creates the room (livekit-server v1.13.5, pkg/service/utils.go
// SetRoomConfiguration → roommanager.go getOrCreateRoom → roomallocator.go
// CreateRoom); joins of a room already open leave it as it was.
//
// New rooms cannot be refused while `wait` waits: livekit-server reads
// room.auto_create once at start-up (config.Room.AutoCreate in
// roomallocator.go ValidateCreateRoom) and has no reload, so turning it off
// would take the very restart the guard is holding back. A tour that starts
// during the wait keeps its room occupied, and the wait ends in a refusal.
import { INSTALL_DIR, PORTS } from "./model";
import { UNIT_NAME } from "./systemd";

export const ACTIVE_TOUR_MODES = ["refuse", "wait", "force"] as const;
export type ActiveTourMode = (typeof ACTIVE_TOUR_MODES)[number];

/** The key in a room's JSON metadata that holds its tour's scheduled end (ISO 8601). */
export const TOUR_ENDS_AT_KEY = "tour_ends_at";

export interface TourGuardOptions {
  readonly mode: ActiveTourMode;
  /** How long `wait` waits for the rooms to empty before it refuses. */
  readonly waitSeconds: number;
  /** Pause between two looks at the rooms while waiting. */
  readonly pollSeconds?: number;
  readonly livekitUrl?: string;
  /** The running server's config, where the API key and secret are read. */
  readonly livekitConfigPath?: string;
}

export const DEFAULT_POLL_SECONDS = 15;

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A shell fragment defining `guard_active_tours`: status 0 to go ahead, non-zero to stop, the reason on stderr. */
export function tourGuardScript(options: TourGuardOptions): string {
  const { mode, waitSeconds } = options;
  const pollSeconds = options.pollSeconds ?? DEFAULT_POLL_SECONDS;
  if (!ACTIVE_TOUR_MODES.includes(mode))
    throw new Error(
      `tourGuardScript: mode must be one of ${ACTIVE_TOUR_MODES.join(", ")}, got ${JSON.stringify(mode)}`,
    );
  for (const [name, n] of [
    ["waitSeconds", waitSeconds],
    ["pollSeconds", pollSeconds],
  ] as const)
    if (!Number.isInteger(n) || n < 0) throw new Error(`tourGuardScript: ${name} must be a whole number ≥ 0, got ${n}`);
  const args = [
    mode,
    String(waitSeconds),
    String(Math.max(1, pollSeconds)),
    options.livekitUrl ?? `http://127.0.0.1:${PORTS.livekitHttp}`,
    options.livekitConfigPath ?? `${INSTALL_DIR}/livekit.yaml`,
  ];
  const noPython =
    "active-tour guard: python3 is missing on the host, so nobody can tell who is on air; apt-get install python3-minimal";
  return [
    "guard_active_tours() {",
    "  if ! command -v python3 >/dev/null 2>&1; then",
    mode === "force"
      ? `    echo ${quote(`${noPython}. activeTours is force: going ahead`)} >&2; return 0`
      : `    echo ${quote(`${noPython}, or set roamcast:activeTours force for one run. Nothing on the host was changed.`)} >&2; return 2`,
    "  fi",
    `  python3 - ${args.map(quote).join(" ")} <<'ROAMCAST_TOUR_GUARD'`,
    GUARD_PY,
    "ROAMCAST_TOUR_GUARD",
    "}",
  ].join("\n");
}

// Exit status: 0 go ahead, 1 rooms occupied, 2 cannot tell (fails closed unless forced).
const GUARD_PY = String.raw`import base64, datetime, hashlib, hmac, json, re, sys, time, urllib.error, urllib.request

MODE, WAIT, POLL, URL, CONFIG = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
END_KEY = "${TOUR_ENDS_AT_KEY}"


def say(line):
    print("active-tour guard: " + line, file=sys.stderr, flush=True)


def unquote(value):
    value = value.strip()
    if value.startswith('"'):
        return json.loads(value)
    if value.startswith("'"):
        return value[1:-1].replace("''", "'")
    return value


def api_credentials():
    """The first key under keys: in livekit.yaml (block style, as the stack renders it); None when there is no file."""
    try:
        with open(CONFIG, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return None
    inside = False
    for line in lines:
        if re.match(r"^keys:\s*$", line):
            inside = True
        elif inside and line[:1] in (" ", "\t"):
            match = re.match(r"^\s+(\S+?)\s*:\s+(\S.*)$", line)
            if match:
                return unquote(match.group(1)), unquote(match.group(2))
        elif inside and line.strip():
            break
    raise RuntimeError(CONFIG + " has no API key under keys:")


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(key, secret, video):
    now = int(time.time())
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = b64(json.dumps({"iss": key, "nbf": now - 30, "exp": now + 120, "video": video}).encode())
    signature = hmac.new(secret.encode(), (header + "." + claims).encode(), hashlib.sha256).digest()
    return header + "." + claims + "." + b64(signature)


def twirp(method, body, bearer):
    request = urllib.request.Request(
        URL.rstrip("/") + "/twirp/livekit.RoomService/" + method,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + bearer},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        detail = error.read(300).decode(errors="replace")
        raise RuntimeError("LiveKit answered %s with HTTP %d %s" % (method, error.code, detail))


def occupied_rooms(credentials):
    """(name, participants, end) of each room with participants; None when LiveKit is not running (nobody on air).

    A room's own num_participants is refreshed only every 5 s (rtc/room.go roomUpdateInterval), so each
    room's participants are listed instead: the store has them as they join and leave."""
    key, secret = credentials
    try:
        rooms = twirp("ListRooms", {}, token(key, secret, {"roomList": True})).get("rooms") or []
        found = []
        for room in rooms:
            name = room.get("name", "")
            admin = token(key, secret, {"roomAdmin": True, "room": name})
            count = len(twirp("ListParticipants", {"room": name}, admin).get("participants") or [])
            if count > 0:
                found.append((name, count, tour_end(room)))
        return found
    except urllib.error.URLError as error:
        if isinstance(error.reason, ConnectionRefusedError):
            return None
        raise RuntimeError("LiveKit at %s did not answer: %s" % (URL, error.reason))


def tour_end(room):
    try:
        ends_at = json.loads(room.get("metadata") or "{}").get(END_KEY)
    except (ValueError, AttributeError):
        ends_at = None
    if not isinstance(ends_at, str) or not ends_at:
        return "end unknown"
    try:
        left = datetime.datetime.fromisoformat(ends_at.replace("Z", "+00:00")) - datetime.datetime.now(datetime.timezone.utc)
        minutes = int(left.total_seconds() // 60)
        return "tour ends " + ends_at + (" (in %d min)" % minutes if minutes >= 0 else " (%d min ago)" % -minutes)
    except ValueError:
        return "tour ends " + ends_at


def describe(rooms):
    return ["  %s: %d participant%s, %s" % (name, n, "" if n == 1 else "s", end) for name, n, end in rooms]


def refuse(rooms, why):
    say(why)
    for line in describe(rooms):
        print(line, file=sys.stderr)
    say("nothing on the host was changed: the intended files stay staged and the next pulumi up applies them.")
    say("Run pulumi up again once these tours are over, or choose for this stack (then set it back):")
    say("  pulumi config set roamcast:activeTours wait    (waits up to roamcast:activeTourWaitMinutes for the rooms to empty)")
    say("  pulumi config set roamcast:activeTours force   (restarts now: the rooms above drop)")
    return 1


def main():
    credentials = api_credentials()
    if credentials is None:
        say("no " + CONFIG + " on the host yet: no LiveKit to ask, going ahead")
        return 0
    rooms = occupied_rooms(credentials)
    if rooms is None:
        say("LiveKit does not accept connections at " + URL + ": nobody is on air, going ahead")
        return 0
    if not rooms:
        say("no room has participants, going ahead")
        return 0
    if MODE == "force":
        say("activeTours is force: going ahead; these rooms drop when LiveKit restarts:")
        print("\n".join(describe(rooms)), file=sys.stderr)
        return 0
    if MODE == "refuse":
        return refuse(rooms, "%d room%s on air; activeTours is refuse, so nothing is restarted:" % (len(rooms), "" if len(rooms) == 1 else "s"))
    deadline = time.monotonic() + WAIT
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return refuse(rooms, "still %d room%s on air after waiting %d s (activeTourWaitMinutes):" % (len(rooms), "" if len(rooms) == 1 else "s", WAIT))
        say("waiting for %d room%s to empty, %d s left: %s" % (len(rooms), "" if len(rooms) == 1 else "s", left, ", ".join("%s (%d)" % (r[0], r[1]) for r in rooms)))
        time.sleep(min(POLL, left))
        rooms = occupied_rooms(credentials) or []
        if not rooms:
            say("every room is empty now, going ahead")
            return 0


try:
    sys.exit(main())
except (RuntimeError, OSError, ValueError) as error:
    say("cannot tell which rooms are on air: %s" % error)
    if MODE == "force":
        say("activeTours is force: going ahead regardless")
        sys.exit(0)
    say("nothing on the host was changed. Check that LiveKit runs (systemctl status ${UNIT_NAME}), or set roamcast:activeTours force for one run.")
    sys.exit(2)`;

/**
 * The services whose restart a listener notices (bench/restarts.ts, README's
 * outage table): LiveKit carries the media and Caddy the signalling (~2 s of
 * lost audio while the SDK rebuilds the session). A Redis restart cost under
 * 0.1 s with no reconnect and the monitoring services none, so those changes
 * go ahead during a tour without asking.
 */
export const TOUR_CARRYING_SERVICES = ["livekit", "caddy"] as const;

/** Runs `guard_active_tours` when `services_to_restart` (templates/restarts.ts) names the whole stack or a tour-carrying service. */
export function guardWhenToursNotice(): string {
  const patterns = ["all", ...TOUR_CARRYING_SERVICES].map((s) => `*" ${s} "*`).join("|");
  return [
    `case " $services_to_restart " in`,
    `  ${patterns}) guard_active_tours || exit 1 ;;`,
    `  *) echo "no restart a listener would notice (\${services_to_restart:-none}): live tours not asked about" ;;`,
    "esac",
  ].join("\n");
}
