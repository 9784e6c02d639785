/**
 * Retention holds in the conditions production creates: the room object is evicted between
 * publishes, frames are counted in UTF-8 bytes, the caps hold after every append, a publish
 * writes one row, and one user resuming over and over gets `recovered: false` instead of
 * keeping the room busy.
 */
import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { HISTORY } from "../../src/protocol";
import { broadcast, join, joinedOf, orderStatus, tokenFor, uniqueId, waitForFrames } from "./helpers";

interface Stored {
  count: number;
  oldest: number;
  newest: number;
  /** The frames' UTF-8 bytes, counted by SQLite, not by the hub. */
  bytes: number;
}

function stored(room: string): Promise<Stored> {
  return runInDurableObject(env.ROOMS.getByName(room), (_, state) =>
    state.storage.sql
      .exec<{ count: number; oldest: number; newest: number; bytes: number }>(
        "SELECT count(*) AS count, min(seq) AS oldest, max(seq) AS newest, coalesce(sum(length(CAST(frame AS BLOB))), 0) AS bytes FROM events",
      )
      .one(),
  );
}

async function publish(room: string, event: string, data: unknown): Promise<void> {
  const res = await broadcast([room], event, data);
  expect(res.status, await res.clone().text()).toBe(200);
}

/** A new-order of about `kilobytes` KB of ASCII (the body limit is 64 KiB). */
function bigOrder(orderId: string, kilobytes: number) {
  const items = Array.from({ length: kilobytes * 2 }, (_, i) => ({
    name: `item ${i}`,
    quantity: 1,
    notes: "x".repeat(450),
  }));
  return { orderId, customerName: "Ana", items, createdAt: new Date().toISOString() };
}

describe("history retention", () => {
  it("keeps the last 1,000 events when the object is evicted between every publish", async () => {
    const room = `order-${uniqueId()}`;
    const stub = env.ROOMS.getByName(room);
    const total = HISTORY.maxEvents + 50;
    for (let i = 1; i <= total; i++) {
      await publish(room, "order-status-updated", orderStatus("1", `s${i}`));
      await evictDurableObject(stub);
      // The cap holds after every append, not eventually.
      if (i > HISTORY.maxEvents - 3) expect((await stored(room)).count).toBeLessThanOrEqual(HISTORY.maxEvents);
    }
    expect(await stored(room)).toMatchObject({ count: HISTORY.maxEvents, oldest: 51, newest: total });

    const token = await tokenFor("k", ["kitchen"]);
    const { epoch } = joinedOf(await join(room, token));
    const lost = await join(room, token, { since: 0, epoch });
    expect(joinedOf(lost)).toMatchObject({ recovered: false, notRecovered: "history", seq: total });
    const covered = await join(room, token, { since: 50, epoch });
    expect(joinedOf(covered)).toMatchObject({ recovered: true });
    const frames = await waitForFrames(covered, 1 + HISTORY.maxEvents);
    expect(frames.slice(1).map((frame) => frame.seq)).toEqual(
      Array.from({ length: HISTORY.maxEvents }, (_, i) => 51 + i),
    );
  }, 120_000);

  it("counts the byte cap in UTF-8 bytes, so CJK text cannot keep three times the cap", async () => {
    const user = uniqueId();
    const room = `user-${user}`;
    const stub = env.ROOMS.getByName(room);
    // About 6 KB of UTF-8 per event, but only about 2 K UTF-16 units.
    const body = "注文の準備ができました".repeat(180);
    let checked = 0;
    for (let i = 1; i <= 800; i++) {
      await publish(room, "notification", { title: `ご注文 ${i}`, body });
      if (i % 100 === 0) await evictDurableObject(stub);
      if (i > 650) {
        const now = await stored(room);
        expect(now.bytes).toBeLessThanOrEqual(HISTORY.maxBytes);
        expect(now.newest).toBe(i);
        checked++;
      }
    }
    const last = await stored(room);
    // Counted in UTF-16 units, all 800 (about 1.7 M units) would have fitted.
    expect(last.count).toBeLessThan(800);
    expect(last.bytes).toBeGreaterThan(HISTORY.maxBytes - 7_000);
    expect(checked).toBe(150);
  }, 120_000);

  it("writes one row per publish once the ring is full, deletions included", async () => {
    const room = `order-${uniqueId()}`;
    for (let i = 1; i <= HISTORY.maxEvents; i++) await publish(room, "order-status-updated", orderStatus("1", `s${i}`));
    const changes = () =>
      runInDurableObject(
        env.ROOMS.getByName(room),
        (_, state) => state.storage.sql.exec<{ n: number }>("SELECT total_changes() AS n").one().n,
      );
    const before = await changes();
    for (let i = 0; i < 100; i++) await publish(room, "order-status-updated", orderStatus("1", `again${i}`));
    expect((await changes()) - before).toBe(100);
    expect((await stored(room)).count).toBe(HISTORY.maxEvents);
  }, 60_000);
});

describe("rooms stored before the ring", () => {
  it("keep their events, seqs and idempotency keys, and resume from them", async () => {
    const room = `order-${uniqueId()}`;
    const token = await tokenFor("k", ["kitchen"]);
    const { epoch } = joinedOf(await join(room, token));
    const stub = env.ROOMS.getByName(room);
    // The previous layout: events keyed by seq, with their idempotency keys, schema 4.
    await runInDurableObject(stub, (_, state) => {
      const { sql } = state.storage;
      sql.exec("DROP TABLE events");
      sql.exec(
        "CREATE TABLE events (seq INTEGER PRIMARY KEY, frame TEXT NOT NULL, size INTEGER NOT NULL, ts INTEGER NOT NULL, pid TEXT, phash TEXT, delivered INTEGER)",
      );
      for (let seq = 1; seq <= 3; seq++) {
        const frame = JSON.stringify({
          event: "order-status-updated",
          room,
          data: orderStatus("1", `old${seq}`),
          seq,
          epoch,
        });
        sql.exec(
          "INSERT INTO events VALUES (?, ?, ?, ?, ?, NULL, NULL)",
          seq,
          frame,
          frame.length,
          Date.now(),
          seq === 3 ? "key-3" : null,
        );
      }
      state.storage.kv.put("schema", 4);
    });
    await evictDurableObject(stub);
    await publish(room, "order-status-updated", orderStatus("1", "new4"));
    expect(await stored(room)).toMatchObject({ count: 4, oldest: 1, newest: 4 });
    const back = await join(room, token, { since: 1, epoch });
    const frames = await waitForFrames(back, 4);
    expect(frames.slice(1).map((frame) => (frame.data as { status: string }).status)).toEqual(["old2", "old3", "new4"]);
  });
});

describe("resume bounds", () => {
  it("answers recovered: false once a user has asked for more replay than the per-user budget", async () => {
    const room = `order-${uniqueId()}`;
    const kitchen = await tokenFor(`kitchen-${uniqueId()}`, ["kitchen"]);
    const { epoch } = joinedOf(await join(room, kitchen));
    // Fill the history to its byte cap with about 60 KB frames.
    for (let i = 0; i < 80; i++) await publish(room, "new-order", bigOrder(`o${i}`, 60));
    const history = await stored(room);
    expect(history.bytes).toBeGreaterThan(HISTORY.maxBytes * 0.9);
    const since = history.oldest - 1;

    // One account, several tablets resuming from the oldest kept event: the budget covers two
    // whole histories; the third is refused and told why, and nothing is replayed to it.
    const first = await join(room, kitchen, { since, epoch });
    const second = await join(room, kitchen, { since, epoch });
    const third = await join(room, kitchen, { since, epoch });
    expect(joinedOf(first).recovered).toBe(true);
    expect(joinedOf(second).recovered).toBe(true);
    expect(joinedOf(third)).toMatchObject({ recovered: false, notRecovered: "replay_limit" });
    await waitForFrames(first, 1 + history.count);
    await waitForFrames(second, 1 + history.count);

    // Another user's budget is their own.
    const other = await join(room, await tokenFor(`kitchen-${uniqueId()}`, ["kitchen"]), { since, epoch });
    expect(joinedOf(other).recovered).toBe(true);
    // The live stream goes on for the refused tablet: the next event reaches it first.
    await publish(room, "order-status-updated", orderStatus("o1", "ready"));
    const [, next] = await waitForFrames(third, 2);
    expect(next).toMatchObject({ event: "order-status-updated", seq: history.newest + 1 });
  }, 60_000);
});
