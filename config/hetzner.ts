// Which Hetzner Cloud server types can be ordered where.
//
// Source, as of 2026-09-04: Hetzner's cloud plan pages (hetzner.com/cloud/cost-optimized/,
// /cloud/regular-performance/, /cloud/general-purpose/) as read and tabulated per region in
// robhunter/agentdeals#1286 and #1181 (EU = fsn1/nbg1/hel1, US = ash/hil, SIN = sin), and Hetzner's
// Cloud changelog of 2025-10-16 ("Server Types deprecated": CX Gen 2 cx22-cx52 and CPX Gen 1
// cpx11-cpx51 stop being sold in the EU; their successors are cx23-cx53 and cpx12-cpx62).
//   - CX (cx23, cx33, cx43, cx53): shared vCPU, "cost-optimised", EU only.
//   - CPX Gen 2 (cpx12 ... cpx62): shared AMD, EU and Singapore.
//   - CPX Gen 1 (cpx11 ... cpx51): still sold in the US locations only.
//   - CAX (cax11 ... cax41): Arm64 (Ampere), EU only; refused here (see ARM_REASON).
//   - CCX (ccx13 ... ccx63): dedicated AMD, every location.
// Hetzner changes this catalogue every year or so: when `pulumi up` says a type "is unavailable in"
// a location that this table allows, update the table and its date. Short-term stock shortages
// (resource_unavailable) are not modelled; the API reports those when the server is created.

export const HETZNER_LOCATIONS = ["fsn1", "nbg1", "hel1", "ash", "hil", "sin"] as const;
export type HetznerLocation = (typeof HETZNER_LOCATIONS)[number];

const EU: readonly HetznerLocation[] = ["fsn1", "nbg1", "hel1"];
const US: readonly HetznerLocation[] = ["ash", "hil"];

export interface ServerTypeOffer {
  readonly arch: "x86" | "arm64";
  readonly locations: readonly HetznerLocation[];
}

function line(names: readonly string[], arch: ServerTypeOffer["arch"], locations: readonly HetznerLocation[]) {
  return Object.fromEntries(names.map((n) => [n, { arch, locations }]));
}

export const SERVER_TYPES: Readonly<Record<string, ServerTypeOffer>> = {
  ...line(["cx23", "cx33", "cx43", "cx53"], "x86", EU),
  ...line(["cpx12", "cpx22", "cpx32", "cpx42", "cpx52", "cpx62"], "x86", [...EU, "sin"]),
  ...line(["cpx11", "cpx21", "cpx31", "cpx41", "cpx51"], "x86", US),
  ...line(["cax11", "cax21", "cax31", "cax41"], "arm64", EU),
  ...line(["ccx13", "ccx23", "ccx33", "ccx43", "ccx53", "ccx63"], "x86", HETZNER_LOCATIONS),
};

/** Retired CX types and the orderable type with the same memory. */
const RETIRED_SERVER_TYPES: Readonly<Record<string, string>> = {
  cx11: "cx23",
  cx21: "cx23",
  cx31: "cx33",
  cx41: "cx43",
  cx51: "cx53",
  cx22: "cx23",
  cx32: "cx33",
  cx42: "cx43",
  cx52: "cx53",
};

/** The stack's images are pinned and tested on amd64 (the bench, the e2e suite), and the host set-up assumes it. */
const ARM_REASON = "this stack runs and tests its container images on amd64 only";

const SERVER_TYPE_NAME = /^(cx|cpx|cax|ccx)\d{2}$/;

/** The x86 types orderable in a location, in the table's order. */
function serverTypesIn(location: HetznerLocation): string[] {
  return Object.entries(SERVER_TYPES)
    .filter(([, offer]) => offer.arch === "x86" && offer.locations.includes(location))
    .map(([name]) => name);
}

const orList = (items: readonly string[]) =>
  items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;

/** Problems with serverType and location, each naming the choices that location offers. */
export function serverProblems(serverType: string, location: string): string[] {
  const typeKey = "roamcast:serverType";
  const problems: string[] = [];
  const knownLocation = (HETZNER_LOCATIONS as readonly string[]).includes(location);
  if (serverType && !SERVER_TYPE_NAME.test(serverType))
    problems.push(`${typeKey} "${serverType}" is not a Hetzner server type name; use e.g. cx33 (4 vCPU, 8 GB)`);
  if (location && !knownLocation)
    problems.push(
      `roamcast:location "${location}" is not a Hetzner location; use one of ${HETZNER_LOCATIONS.join(", ")}`,
    );
  if (!serverType || !knownLocation || !SERVER_TYPE_NAME.test(serverType)) return problems;

  const where = location as HetznerLocation;
  const choices = serverTypesIn(where).join(", ");
  const offer = SERVER_TYPES[serverType];
  const successor = RETIRED_SERVER_TYPES[serverType];
  if (successor)
    problems.push(
      SERVER_TYPES[successor]!.locations.includes(where)
        ? `${typeKey} "${serverType}" is retired and can no longer be ordered; use its successor ${successor} (in ${where}: ${choices})`
        : `${typeKey} "${serverType}" is retired and can no longer be ordered; in ${where} choose one of ${choices}`,
    );
  else if (!offer)
    problems.push(`${typeKey} "${serverType}" is not a Hetzner server type; in ${where} choose one of ${choices}`);
  else if (offer.arch !== "x86")
    problems.push(
      `${typeKey} "${serverType}" is an Arm64 server, but ${ARM_REASON}; in ${where} choose one of ${choices}`,
    );
  else if (!offer.locations.includes(where))
    problems.push(
      `${typeKey} "${serverType}" is not sold in ${where} (only in ${offer.locations.join(", ")}); in ${where} choose one of ${choices}, or set roamcast:location to ${orList(offer.locations)}`,
    );
  return problems;
}
