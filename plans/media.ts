// Which UDP media ports LiveKit takes (roamcast:mediaPorts), from the stack's
// choice and its server type. The mux opens one socket per vCPU: LiveKit
// opens min(CPUs, ports in udp_port) sockets, on the first ports, so fewer
// ports would leave CPUs without a socket of their own. The vCPU count comes
// from the planner's price list, the same one the capacity planner sizes the
// season with; a type it does not list gets as many ports as the largest
// Hetzner server has vCPUs, of which LiveKit uses as many as it has CPUs. The
// firewall opens the whole range either way (templates/model.ts publicPorts).
import type { MediaPorts } from "../templates/model";
import { SERVER_CLASSES } from "./capacity";

export const MEDIA_PORT_CHOICES = ["mux", "range"] as const;
export type MediaPortChoice = (typeof MEDIA_PORT_CHOICES)[number];

/** The most vCPUs of any server type Hetzner sells (ccx63), for a type the price list does not know. */
export const MOST_VCPUS = 48;

const KEY = "roamcast:mediaPorts";

const isChoice = (value: string): value is MediaPortChoice => (MEDIA_PORT_CHOICES as readonly string[]).includes(value);

/** Why this choice cannot be planned, naming the setting and the fix; none when it can. */
export function mediaPortProblems(choice: string): string[] {
  if (isChoice(choice)) return [];
  return [
    `${KEY} "${choice}" is not one of ${MEDIA_PORT_CHOICES.join(", ")}; set it with: pulumi config set ${KEY} range (or remove it for the default, mux)`,
  ];
}

/** The media ports; throws on what mediaPortProblems refuses (config/checks.ts reports those first). */
export function planMediaPorts(choice: string, serverType: string): MediaPorts {
  const problems = mediaPortProblems(choice);
  if (problems.length > 0) throw new Error(problems.join("; "));
  if (choice === "range") return { mode: "range" };
  return { mode: "mux", sockets: SERVER_CLASSES[serverType]?.vcpu ?? MOST_VCPUS };
}
