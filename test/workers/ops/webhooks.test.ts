/**
 * Webhooks when the hub has no WEBHOOK_URL (this suite's configuration): nothing is stored and
 * nothing is sent. The deliveries themselves are tested end to end (test/e2e/webhooks.test.ts).
 */
import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import worker from "../../../src/index";
import { errorOf, internal, join, request, tokenFor, uniqueId } from "../helpers";

let outbound: MockInstance<typeof fetch>;
beforeEach(() => {
  outbound = vi.spyOn(globalThis, "fetch");
});
afterEach(() => {
  outbound.mockRestore();
});

const outboxRows = (room: string) =>
  runInDurableObject(env.ROOMS.getByName(room), (_, state) => ({
    rows: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM webhook_outbox").one().n,
    occupied: state.storage.kv.get("webhook:occupied") ?? null,
  }));

describe("webhooks without WEBHOOK_URL", () => {
  it("store nothing and send nothing for joins, members, chat messages and leaves", async () => {
    expect(env.WEBHOOK_URL).toBeUndefined();
    const order = `order-${uniqueId()}`;
    const customer = uniqueId();
    await internal(`/rooms/${order}/members/${customer}`, { method: "PUT" });
    const staff = await join(order, await tokenFor("staff-1", ["staff"]));
    const tab = await join(order, await tokenFor(customer));
    const support = await join(`support-${customer}`, await tokenFor(customer));
    expect((await request(support, "chat:message", { text: "hello", clientMessageId: "m1" }, 1)).event).toBe("ack");
    for (const socket of [tab, staff, support]) socket.ws.close(1000);
    await Promise.all([tab.closed, staff.closed, support.closed]);
    // An ack round trip on a fresh socket: the closes above were handled before it.
    await request(await join(order, await tokenFor("staff-2", ["staff"])), "room:info", undefined, 2);

    expect(outbound).not.toHaveBeenCalled();
    expect(await outboxRows(order)).toEqual({ rows: 0, occupied: null });
    expect(await outboxRows(`support-${customer}`)).toEqual({ rows: 0, occupied: null });
  });

  it("fail closed when WEBHOOK_URL is set without a usable WEBHOOK_SECRET, or is not an http(s) URL", async () => {
    for (const vars of [
      { WEBHOOK_URL: "https://api.example.com/hooks" },
      { WEBHOOK_URL: "https://api.example.com/hooks", WEBHOOK_SECRET: "short" },
      { WEBHOOK_URL: "ftp://api.example.com", WEBHOOK_SECRET: "x".repeat(40) },
    ]) {
      const res = await worker.fetch(new Request("https://hub.test/health"), { ...env, ...vars }, {
        waitUntil() {},
        passThroughOnException() {},
      } as unknown as ExecutionContext);
      expect(res.status).toBe(500);
      expect((await errorOf(res)).message).toContain("WEBHOOK_");
    }
  });
});
