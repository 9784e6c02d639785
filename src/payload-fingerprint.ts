/**
 * What a room keeps of a keyed publish's event and payload, to tell a retry (the same fingerprint:
 * a duplicate) from an id reused for something else (another fingerprint: a 409). It is neither a
 * secret nor an integrity check (the caller holds the bearer secret and may publish anything); it
 * only has to tell apart payloads that differ, for which 64 well-mixed bits are plenty. It is
 * synchronous: the SHA-256 digest it replaces cost about 1.3% of a publish's CPU on the production
 * runtime (`bench/paired.mjs`, bench/PROFILE-BARE.md "Third pass").
 *
 * @example payloadFingerprint(JSON.stringify(["order-status-updated", { orderId: "42" }])) // "f1:…"
 */
export function payloadFingerprint(text: string): string {
  // Two 32-bit multiply-xor lanes over the UTF-16 units (FNV-1a's step with two different
  // primes), each finished with MurmurHash3's avalanche and folded into the other.
  let a = 0x811c9dc5 ^ text.length;
  let b = 0x9e3779b9 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    a = Math.imul(a ^ unit, 0x01000193);
    b = Math.imul(b ^ unit, 0x5bd1e995);
  }
  a = avalanche(a ^ Math.imul(b, 0x27d4eb2f));
  b = avalanche(b ^ a);
  return `${PREFIX}${hex(a)}${hex(b)}`;
}

const PREFIX = "f1:";

function avalanche(h: number): number {
  let x = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return x ^ (x >>> 16);
}

const hex = (x: number) => (x >>> 0).toString(16).padStart(8, "0");

/**
 * Whether a stored fingerprint is a SHA-256 digest (base64), as hubs before `payloadFingerprint`
 * stored. Such keys live for the idempotency window (10 minutes) after a deploy.
 */
export function isLegacyFingerprint(stored: string): boolean {
  return stored.length > 0 && !stored.startsWith(PREFIX);
}

/**
 * Whether `text` has the fingerprint `stored`, of the kind it was stored in: around a deploy a
 * repeat's fingerprint can be of the other kind (a key stored as SHA-256 before it, or a SHA-256
 * sent by a Worker still on the old code), so the room that holds the payload fingerprints it
 * again in the stored kind. Synchronous for this kind, a promise for SHA-256.
 */
export function hasFingerprint(stored: string, text: string): boolean | Promise<boolean> {
  if (!isLegacyFingerprint(stored)) return payloadFingerprint(text) === stored;
  return sha256Base64(text).then((digest) => digest === stored);
}

async function sha256Base64(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}
