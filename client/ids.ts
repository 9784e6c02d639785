/**
 * Random ids for idempotency keys (publishes, chat messages). `crypto.randomUUID` exists only in
 * secure contexts (a page served over plain http has none); `getRandomValues` exists everywhere.
 */

/** 128 random bits as 32 lower-case hex characters. */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
