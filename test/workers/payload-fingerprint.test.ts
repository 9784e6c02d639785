import { describe, expect, it } from "vitest";
import { isLegacyFingerprint, payloadFingerprint } from "../../src/payload-fingerprint";

describe("payloadFingerprint", () => {
  it("gives the same text the same fingerprint, in its own kind", () => {
    const text = JSON.stringify(["order-status-updated", { orderId: "42", status: "ready" }]);
    expect(payloadFingerprint(text)).toBe(payloadFingerprint(text));
    expect(payloadFingerprint(text)).toMatch(/^f1:[0-9a-f]{16}$/);
    expect(isLegacyFingerprint(payloadFingerprint(text))).toBe(false);
    expect(isLegacyFingerprint("n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=")).toBe(true);
  });

  it("tells apart payloads that differ by one character, one place or one more unit", () => {
    const base = JSON.stringify(["new-order", { orderId: "1", customerName: "Ada", notes: "no peanuts" }]);
    const seen = new Set([payloadFingerprint(base)]);
    const variants: string[] = [];
    for (let i = 0; i < base.length; i++) {
      variants.push(base.slice(0, i) + String.fromCharCode(base.charCodeAt(i) ^ 1) + base.slice(i + 1));
      variants.push(base.slice(0, i) + base.slice(i + 1));
    }
    variants.push(`${base} `, base.replace("Ada", "Adä"), base.replace("Ada", "Ad\u{1F600}"));
    for (const variant of new Set(variants)) seen.add(payloadFingerprint(variant));
    expect(seen.size).toBe(new Set(variants).size + 1);
  });

  it("gives 100,000 different payloads 100,000 different fingerprints", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++)
      seen.add(payloadFingerprint(JSON.stringify(["order-status-updated", { orderId: String(i) }])));
    expect(seen.size).toBe(100_000);
  });
});
