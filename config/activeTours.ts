// What the apply step does when LiveKit rooms have people in them (the
// active-tour guard, templates/tourGuard.ts). The modes are spelt here as well
// as there: config/ may not import templates/, and the type check in index.ts
// (where the two meet) fails if the spellings ever part.
import { fullKey, type StackSettings } from "./fields";

export const ACTIVE_TOURS_CHOICES = ["refuse", "wait", "force"] as const;
export type ActiveToursChoice = (typeof ACTIVE_TOURS_CHOICES)[number];

const isChoice = (value: string): value is ActiveToursChoice =>
  (ACTIVE_TOURS_CHOICES as readonly string[]).includes(value);

/** A production stack never drops a live tour unless told to; elsewhere a change waits for the tours to end. */
export function activeToursMode(s: StackSettings): ActiveToursChoice {
  if (isChoice(s.activeTours)) return s.activeTours;
  return s.production || s.stack === "prod" ? "refuse" : "wait";
}

export function activeToursProblems(s: StackSettings): string[] {
  if (s.activeTours === "" || isChoice(s.activeTours)) return [];
  return [
    `${fullKey("activeTours")} "${s.activeTours}" is not one of ${ACTIVE_TOURS_CHOICES.join(", ")}; set it with: pulumi config set ${fullKey("activeTours")} wait (or remove it for the stack's default: refuse in production, wait elsewhere)`,
  ];
}
