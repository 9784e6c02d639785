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
 * Whether a stored fingerprint is a SHA-256 digest, as hubs before `payloadFingerprint` stored
 * (base64). Such keys live for the idempotency window (10 minutes) after a deploy: a retry of a
 * publish made before it is compared by `legacyFingerprint`, so that it still counts as a retry
 * (and a room compares a SHA-256 sent by a Worker still on the old code against a new key itself).
 */
export function isLegacyFingerprint(stored: string): boolean {
  return stored.length > 0 && !stored.startsWith(PREFIX);
}

/** The SHA-256 fingerprint earlier hubs stored (see isLegacyFingerprint). */
export async function legacyFingerprint(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}
