// @vitest-environment happy-dom
// @vitest-environment-options {"settings":{"fetch":{"disableSameOriginPolicy":true}}}
/**
 * The seed's Socket.io code, ported exactly as docs/migrating-from-socket-io.md says (the files in
 * seed-port/ are the guide's "after" code, checked here line for line), run against a real hub:
 * the React provider and hooks (useSocket, useOrderUpdates(orderId, cb),
 * useRestaurantOrders(onNew, onUpdate)) and the server's createOrder / updateOrderStatus with
 * `io.to(room).emit` on the publisher.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { cleanup, render, waitFor } from "@testing-library/react";
import { useCallback, useState } from "react";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import type { NewOrder, Notification, OrderStatusUpdated, RoomcastSocket } from "../../client/index";
import { E2E_BROADCAST_SECRET, type Hub, startHub } from "../support/hub-process";
import { freshId, signToken, waitFor as waitUntil } from "./helpers";
import { useOrderUpdates, useRestaurantOrders } from "./seed-port/hooks";
import { SocketProvider, useSocket } from "./seed-port/socket";

let hub: Hub;
let server: typeof import("./seed-port/server");
beforeAll(async () => {
  hub = await startHub();
  // The seed's server reads its hub from the environment, as before.
  process.env.HUB_URL = hub.url;
  process.env.BROADCAST_SECRET = E2E_BROADCAST_SECRET;
  server = await import("./seed-port/server");
});
afterAll(async () => {
  await hub?.stop();
});
afterEach(() => cleanup());

test("the guide's 'after' code is exactly the code this test runs", () => {
  const root = resolve(import.meta.dirname, "../..");
  const guide = readFileSync(join(root, "docs/migrating-from-socket-io.md"), "utf8");
  const blocks = [...guide.matchAll(/<!-- after: (\S+) -->\n```\w+\n([\s\S]*?)```/g)];
  expect(blocks.map((block) => block[1])).toEqual([
    "test/client/seed-port/socket.tsx",
    "test/client/seed-port/hooks.ts",
    "test/client/seed-port/server.ts",
  ]);
  for (const [, file, code] of blocks) expect(code).toBe(readFileSync(join(root, file as string), "utf8"));
});

const sockets: Record<string, RoomcastSocket | null> = {};
function Expose(props: { name: string }) {
  sockets[props.name] = useSocket();
  return null;
}

function Tracker(props: { orderId: number; seen: string[] }) {
  const [status, setStatus] = useState("…");
  const { seen } = props;
  const onUpdate = useCallback(
    (update: OrderStatusUpdated) => {
      seen.push(update.status);
      setStatus(update.status);
    },
    [seen],
  );
  useOrderUpdates(props.orderId, onUpdate);
  return <p data-testid="tracker">{status}</p>;
}

function Kitchen(props: { orders: NewOrder[]; updates: OrderStatusUpdated[] }) {
  const { orders, updates } = props;
  const onNewOrder = useCallback((order: NewOrder) => orders.push(order), [orders]);
  const onOrderUpdate = useCallback((update: OrderStatusUpdated) => updates.push(update), [updates]);
  useRestaurantOrders(onNewOrder, onOrderUpdate);
  return null;
}

test("an order placed and updated by the ported server reaches the ported hooks, once each", async () => {
  const customerId = freshId("c");
  const customer = await signToken({ sub: customerId });
  const kitchenToken = await signToken({ sub: freshId("k"), roles: ["kitchen"] });
  const orders: NewOrder[] = [];
  const kitchenUpdates: OrderStatusUpdated[] = [];
  render(
    <SocketProvider url={hub.url} token={kitchenToken}>
      <Expose name="kitchen" />
      <Kitchen orders={orders} updates={kitchenUpdates} />
    </SocketProvider>,
  );
  await waitUntil(() => sockets.kitchen?.roomState("restaurant-kitchen") === "joined", 10_000, "the kitchen room");

  const order = await server.createOrder({
    customerId,
    customerName: "Ada",
    items: [{ name: "Pad thai", quantity: 2, price: 12.5 }],
  });
  await waitUntil(() => orders.length === 1, 5_000, "the new order in the kitchen");
  expect(orders[0]).toMatchObject({
    orderId: order.id,
    customerName: "Ada",
    items: [{ name: "Pad thai", quantity: 2, price: 1250 }],
    currency: "EUR",
  });

  // The customer follows the order (the server granted the room), and the kitchen screen also
  // shows this order: its socket is in both rooms that updateOrderStatus names.
  const customerSeen: string[] = [];
  const kitchenSeen: string[] = [];
  const view = render(
    <>
      <SocketProvider url={hub.url} token={customer}>
        <Expose name="customer" />
        <Tracker orderId={order.id} seen={customerSeen} />
      </SocketProvider>
      <SocketProvider url={hub.url} token={kitchenToken}>
        <Expose name="kitchenTracker" />
        <Tracker orderId={order.id} seen={kitchenSeen} />
        <Kitchen orders={[]} updates={kitchenUpdates} />
      </SocketProvider>
    </>,
  );
  await waitUntil(
    () =>
      sockets.customer?.roomState(`order-${order.id}`) === "joined" &&
      sockets.kitchenTracker?.roomState(`order-${order.id}`) === "joined" &&
      sockets.kitchenTracker?.roomState("restaurant-kitchen") === "joined",
    10_000,
    "every socket in its rooms",
  );
  const notifications: Notification[] = [];
  sockets.customer?.on("notification", (data) => notifications.push(data));

  kitchenUpdates.length = 0;
  await server.updateOrderStatus(order.id, "preparing");
  await waitFor(() =>
    expect(view.getAllByTestId("tracker").map((node) => node.textContent)).toEqual(["preparing", "preparing"]),
  );
  await waitUntil(() => notifications.length === 1, 5_000, "the customer's notification");
  expect(notifications[0]).toMatchObject({ title: "Order update", body: "Your order is preparing" });
  // A later publish to the same rooms: once it is in, nothing of the first is still on its way.
  await server.updateOrderStatus(order.id, "ready");
  await waitUntil(() => customerSeen.at(-1) === "ready" && kitchenSeen.at(-1) === "ready", 5_000, "ready");
  // io.to(order).to(kitchen): one delivery per event to the socket that is in both rooms.
  expect(kitchenSeen).toEqual(["preparing", "ready"]);
  expect(customerSeen).toEqual(["preparing", "ready"]);
  // Two kitchen sockets, one update each per publish (across sockets there is no order).
  await waitUntil(() => kitchenUpdates.length === 4, 5_000, "both kitchen screens' updates");
  expect(kitchenUpdates.map((update) => update.status).sort()).toEqual(["preparing", "preparing", "ready", "ready"]);
});

test("the pool staff's screen receives the app-defined pool-status-updated", async () => {
  const token = await signToken({ roles: ["pool"] });
  render(
    <SocketProvider url={hub.url} token={token}>
      <Expose name="pool" />
    </SocketProvider>,
  );
  await waitUntil(() => sockets.pool?.connected === true, 10_000, "the pool socket");
  const socket = sockets.pool as RoomcastSocket;
  await socket.emitWithAck("join-room", "pool-staff");
  const seen: string[] = [];
  socket.on("pool-status-updated", (data) => seen.push(`${data.status}:${data.occupancy}`));
  await server.updatePoolStatus("busy", 41);
  await waitUntil(() => seen.length === 1, 5_000, "the pool status");
  expect(seen).toEqual(["busy:41"]);
});
