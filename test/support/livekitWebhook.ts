// LiveKit's webhook signature, as livekit-server's notifier and the SDK's
// WebhookReceiver use it: the Authorization header is a JWT signed with the
// API secret that carries the base64 sha256 of the exact body.
import { AccessToken } from "livekit-server-sdk";
import { createHash } from "node:crypto";

export async function signWebhook(body: string, key: string, secret: string): Promise<string> {
  const token = new AccessToken(key, secret);
  token.sha256 = createHash("sha256").update(body).digest("base64");
  return token.toJwt();
}

/** POSTs a body as LiveKit does; the answer is always JSON, so it is parsed. */
export async function postWebhook(
  url: string,
  body: string,
  authorization?: string,
): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/webhook+json", ...(authorization ? { authorization } : {}) },
    body,
  });
  return { status: res.status, body: await res.json() };
}
