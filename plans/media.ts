// Which UDP media ports LiveKit takes (roamcast:mediaPorts), from the stack's
// choice and its server type. The mux opens one socket per vCPU: LiveKit
// opens min(CPUs, ports in udp_port) sockets, so fewer ports would leave CPUs
// without a socket of their own, and more would open firewall ports that no
// socket listens on. The vCPU count comes from the planner's price list, the
// same one the capacity planner sizes the season with.
import type { MediaPorts } from "../templates/model";
import { SERVER_CLASSES } from "./capacity";

export const MEDIA_PORT_CHOICES = ["range", "mux"] as const;
export type MediaPortChoice = (typeof MEDIA_PORT_CHOICES)[number];

const KEY = "roamcast:mediaPorts";

const isChoice = (value: string): value is MediaPortChoice => (MEDIA_PORT_CHOICES as readonly string[]).includes(value);

function unknownVcpus(serverType: string): string {
  return `${KEY} mux opens one UDP port per vCPU, and the vCPU count of roamcast:serverType "${serverType}" is not known (plans/capacity.ts lists ${Object.keys(SERVER_CLASSES).join(", ")}); use one of those server types, or remove ${KEY} for the port range`;
}

/** Why this choice cannot be planned on this server type, naming the setting and the fix; none when it can. */
export function mediaPortProblems(choice: string, serverType: string): string[] {
  if (!isChoice(choice))
    return [
      `${KEY} "${choice}" is not one of ${MEDIA_PORT_CHOICES.join(", ")}; set it with: pulumi config set ${KEY} mux (or remove it for the default, range)`,
    ];
  // An unparsable serverType holds "" and has its own problem already.
  if (choice === "mux" && serverType && !SERVER_CLASSES[serverType]) return [unknownVcpus(serverType)];
  return [];
}

/** The media ports; throws on what mediaPortProblems refuses (config/checks.ts reports those first). */
export function planMediaPorts(choice: string, serverType: string): MediaPorts {
  const problems = mediaPortProblems(choice, serverType);
  if (problems.length > 0) throw new Error(problems.join("; "));
  if (choice === "range") return { mode: "range" };
  const server = SERVER_CLASSES[serverType];
  if (!server) throw new Error(unknownVcpus(serverType));
  return { mode: "mux", sockets: server.vcpu };
}
