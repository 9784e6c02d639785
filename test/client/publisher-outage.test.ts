/**
 * A publisher that outlives a deploy: publishes made while the hub is killed and restarted all
 * arrive, once each and in order, with the default retry budget; and an outbox that keeps
 * events across the backend's own restarts without delivering any twice.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { connect } from "../../client/index";
import { createOutbox, type OutboxStore } from "../../client/outbox";
import { fileOutboxStore } from "../../client/outbox-file-store";
import { createPublisher, PUBLISHER_RETRY_DEFAULTS } from "../../client/publisher";
import { E2E_BROADCAST_SECRET } from "../support/hub-process";
import { freshId, hubForFile, publisherFor, signToken, waitFor } from "./helpers";

const fixture = hubForFile();

async function subscriber(room: string) {
  const token = await signToken({ roles: ["staff"] });
  const socket = connect(fixture.hub.url, {
    auth: () => token,
    minReconnectionDelayMs: 100,
    maxReconnectionDelayMs: 1_000,
  });
  fixture.keep(socket);
  const received: number[] = [];
  socket.on("order-status-updated", (data, from) => {
    if (from === room) received.push(Number(data.orderId));
  });
  await socket.emitWithAck("join-room", room);
  return { socket, received };
}

const update = (n: number) => ({ orderId: n, status: "cooking" });

test("the default retry budget covers at least 30 s of hub unavailability", () => {
  expect(PUBLISHER_RETRY_DEFAULTS.maxElapsedMs).toBeGreaterThanOrEqual(30_000);
});

test("publishes made while the hub is killed and restarted all arrive, once each, in order", async () => {
  const room = `order-${freshId()}`;
  const { received } = await subscriber(room);
  // The defaults, as a backend would use them (no retry options).
  const publisher = createPublisher({ url: fixture.hub.url, secret: E2E_BROADCAST_SECRET });
  const total = 12;
  let restart: Promise<void> | undefined;
  let downAt = 0;
  let upAt = 0;
  const retried: number[] = [];
  for (let n = 1; n <= total; n++) {
    const started = Date.now();
    const publish = publisher.to(room).emit("order-status-updated", update(n));
    // Kill the hub while the fourth publish is in flight.
    if (n === 4) {
      downAt = Date.now();
      restart = fixture.hub.restart({ kill: true }).then(() => {
        upAt = Date.now();
      });
    }
    await publish;
    if (Date.now() - started > 1_000) retried.push(n);
  }
  await restart;
  await waitFor(() => received.length >= total, 30_000, `${total} events`);
  // A later marker: once it arrived, nothing else from before it is still on its way.
  await publisher.to(room).emit("order-status-updated", update(total + 1));
  await waitFor(() => received.includes(total + 1), 10_000, "the marker");
  expect(received).toEqual(Array.from({ length: total + 1 }, (_, index) => index + 1));
  // Some publishes really waited out the outage.
  expect(upAt - downAt).toBeGreaterThan(1_000);
  expect(retried.length).toBeGreaterThan(0);
});

describe("outbox", () => {
  test("an event kept while the hub was unreachable is sent by the next run's flush, once", async () => {
    const room = `order-${freshId()}`;
    const { received } = await subscriber(room);
    const path = join(mkdtempSync(join(tmpdir(), "roomcast-outbox-")), "outbox.json");

    // First run: the hub is unreachable for longer than the publisher's budget.
    const unreachable = createPublisher({ url: "http://127.0.0.1:9", secret: "x", retry: { maxElapsedMs: 200 } });
    const first = createOutbox(unreachable, fileOutboxStore(path));
    const sent = await first.publish(room, "order-status-updated", update(1));
    expect(sent).toMatchObject({ ok: false, error: { code: "network_error" } });
    expect(await fileOutboxStore(path).list()).toHaveLength(1);

    // Next run of the backend: a new outbox on the same file.
    const second = createOutbox(publisherFor(fixture.hub), fileOutboxStore(path));
    await expect(second.flush()).resolves.toEqual({ sent: 1, kept: 0 });
    await expect(second.flush()).resolves.toEqual({ sent: 0, kept: 0 });
    await waitFor(() => received.length === 1, 5_000, "the kept event");
    const marker = await publisherFor(fixture.hub).to(room).emit("order-status-updated", update(2));
    expect(marker.delivered).toEqual({ [room]: 1 });
    await waitFor(() => received.length === 2, 5_000, "the marker");
    expect(received).toEqual([1, 2]);
  });

  test("an event the hub got before the backend crashed (still in the store) is not delivered again", async () => {
    const room = `order-${freshId()}`;
    const { received } = await subscriber(room);
    const path = join(mkdtempSync(join(tmpdir(), "roomcast-outbox-")), "outbox.json");
    const durable = fileOutboxStore(path);
    // The process dies right after the hub answered: the entry is never removed.
    const crashing: OutboxStore = { add: durable.add, list: durable.list, remove: () => {} };
    const sent = await createOutbox(publisherFor(fixture.hub), crashing).publish(
      room,
      "order-status-updated",
      update(1),
    );
    expect(sent.ok).toBe(true);

    const afterRestart = createOutbox(publisherFor(fixture.hub), fileOutboxStore(path));
    await expect(afterRestart.flush()).resolves.toEqual({ sent: 1, kept: 0 });
    await publisherFor(fixture.hub).to(room).emit("order-status-updated", update(2));
    await waitFor(() => received.includes(2), 5_000, "the marker");
    expect(received).toEqual([1, 2]);
  });
});
