/**
 * How the hub signs a webhook delivery, as Stripe and Pusher sign theirs: an HMAC-SHA256 with
 * WEBHOOK_SECRET over `{id}.{timestamp}.{body}`, hex-encoded, sent as
 * `Roomcast-Signature: t={timestamp},v1={hex}` beside `Roomcast-Webhook-Id` and
 * `Roomcast-Timestamp`. README "Webhooks" shows a receiver verifying it.
 */
const keys = new Map<string, Promise<CryptoKey>>();

/** The secret's HMAC key, imported once per isolate. */
function keyOf(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    keys.set(secret, key);
  }
  return key;
}

export async function signWebhook(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const mac = await crypto.subtle.sign(
    "HMAC",
    await keyOf(secret),
    new TextEncoder().encode(`${id}.${timestamp}.${body}`),
  );
  return Array.from(new Uint8Array(mac), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The headers of one delivery attempt (the timestamp is the attempt's; the id stays). */
export async function webhookHeaders(secret: string, id: string, body: string, now: number): Promise<Headers> {
  const timestamp = Math.floor(now / 1000);
  const signature = await signWebhook(secret, id, timestamp, body);
  return new Headers({
    "Content-Type": "application/json",
    "User-Agent": "roomcast-webhooks",
    "Roomcast-Webhook-Id": id,
    "Roomcast-Timestamp": String(timestamp),
    "Roomcast-Signature": `t=${timestamp},v1=${signature}`,
  });
}
