/**
 * Thousands of random and mutated frames thrown at a room: the object never fails (no
 * internal_error, no 1011), the other sockets keep receiving, and nothing is stored.
 */
import { env, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { chatMessageSchema } from "../../../src/payload-schemas";
import { LIMITS } from "../../../src/protocol";
import { readInboundFrame } from "../../../src/room/inbound-frame";
import { broadcast, join, orderStatus, sleep, tokenFor, uniqueId, waitForClose, waitForFrames } from "../helpers";

const EVENTS = [
  "room:info",
  "notification:read",
  "page:navigate",
  "user:update",
  "chat:message",
  "chat:history",
  "chat:typing",
  "chat:read",
  "support:conversations",
  "heartbeat",
  "ack",
  "joined",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "",
];

const pollutingKeys = fc.constantFrom("__proto__", "constructor", "prototype", "toString", "valueOf");

/** Any JSON value, with prototype-pollution keys mixed into its objects. */
const hostileValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.jsonValue({ maxDepth: 3 }),
    fc.dictionary(fc.oneof(pollutingKeys, fc.string({ maxLength: 8 })), tie("value"), { maxKeys: 4 }),
    fc.array(tie("value"), { maxLength: 4 }),
  ),
})).value;

const hostileFrame: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  // Text that is rarely JSON.
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  // JSON of every shape.
  hostileValue.map((value) => JSON.stringify(value) ?? "null"),
  // Frames with a known or odd event and a wrong payload.
  fc
    .record(
      {
        event: fc.oneof(fc.constantFrom(...EVENTS), fc.string({ maxLength: 120 }), fc.integer(), fc.constant(null)),
        data: hostileValue,
        ack: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 5 }), fc.constant(-1)),
      },
      { requiredKeys: ["event"] },
    )
    .map((frame) => JSON.stringify(frame)),
  // Raw prototype-pollution text (JSON.stringify would drop a real __proto__ key).
  fc
    .tuple(fc.constantFrom(...EVENTS), pollutingKeys)
    .map(([event, key]) => `{"event":"${event}","${key}":{"polluted":true},"data":{"${key}":{"polluted":true}}}`),
  // Deep nesting.
  fc
    .integer({ min: 100, max: 5_000 })
    .map((depth) => `{"event":"chat:message","data":${"[".repeat(depth)}${"]".repeat(depth)}}`),
  // Huge strings, around and over the frame limit.
  fc
    .integer({ min: LIMITS.maxFrameBytes - 64, max: LIMITS.maxFrameBytes * 4 })
    .map((size) => JSON.stringify({ event: "chat:message", data: { text: "x".repeat(size), clientMessageId: "a" } })),
  // Binary frames.
  fc.uint8Array({ maxLength: 64 }),
);

/** A frame that is a valid chat message would rightly be stored: the barrage leaves those out. */
function isValidChatMessage(frame: string | Uint8Array): boolean {
  if (typeof frame !== "string") return false;
  try {
    const parsed = JSON.parse(frame);
    return parsed?.event === "chat:message" && v.safeParse(chatMessageSchema, parsed.data).success;
  } catch {
    return false;
  }
}

describe("hostile frames", () => {
  it("never break a room: no internal errors, neighbours keep receiving, nothing stored", async () => {
    const owner = uniqueId();
    const room = `support-${owner}`;
    const watcher = await join(room, await tokenFor("agent-watch", ["support"]));
    let published = 0;
    let framesThrown = 0;

    await fc.assert(
      fc.asyncProperty(fc.array(hostileFrame, { minLength: 1, maxLength: 14 }), async (batch) => {
        const frames = batch.filter((frame) => !isValidChatMessage(frame));
        if (frames.length === 0) return;
        // A fresh agent identity per run: the per-user connection limit would refuse one user's 250 joins.
        const attacker = await join(room, await tokenFor(`attacker-${uniqueId().slice(0, 8)}`, ["support"], "Mallory"));
        for (const frame of frames) attacker.ws.send(frame);
        framesThrown += frames.length;

        // The room still delivers to the neighbour after the barrage.
        const before = watcher.frames.length;
        await broadcast([room], "order-status-updated", orderStatus("1", `check-${published}`));
        published++;
        const seen = await waitForFrames(watcher, before + 1);
        expect(seen.at(-1)).toMatchObject({ event: "order-status-updated", seq: published });

        // Every frame got an answer, none of them a failure of the hub.
        const answers = attacker.frames.slice(1);
        const failures = answers.filter(
          (frame) => (frame.data as { code?: string } | undefined)?.code === "internal_error",
        );
        expect(failures).toEqual([]);
        // Only frames that fail to parse count against the socket (a well-formed frame the room
        // refuses does not), so a barrage of more than 10 frames is not always more than 10 bad ones.
        const bad = frames.filter(
          (frame) => !readInboundFrame(typeof frame === "string" ? frame : new ArrayBuffer(0)).ok,
        );
        if (bad.length > LIMITS.maxBadFrames) {
          expect((await waitForClose(attacker)).code).toBe(1008);
        } else {
          expect(attacker.ws.readyState).toBe(WebSocket.OPEN);
          attacker.ws.close(1000);
        }
      }),
      { numRuns: 250 },
    );

    expect(framesThrown).toBeGreaterThan(1_000);
    await sleep(100);
    const stored = await runInDurableObject(env.ROOMS.getByName(room), (_, state) => ({
      events: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM events").one().n,
      messages: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM messages").one().n,
      reads: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM chat_reads").one().n,
    }));
    // Only the checks this test published; no message, no read position, no polluted prototype.
    expect(stored.events).toBe(published);
    expect(stored.messages).toBe(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 120_000);
});
