// @vitest-environment happy-dom
// @vitest-environment-options {"settings":{"fetch":{"disableSameOriginPolicy":true}}}
/**
 * The React hooks in a DOM (happy-dom, whose WebSocket and fetch behave like a browser's) against
 * the real hub. Same-origin checks are off because the page (localhost:3000) and the hub
 * (127.0.0.1) differ; a browser would need CORS headers on the hub's HTTP endpoints instead.
 */
import { act, cleanup, render, screen, waitFor } from "@testing-library/react";
import { useState } from "react";
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { type ConnectOptions, connect, type RoomcastSocket } from "../../client/index";
import type { Publisher } from "../../client/publisher";
import {
  type Notifications,
  RoomcastProvider,
  useConnected,
  useNotifications,
  useOrderUpdates,
  useRestaurantOrders,
  useSocket,
} from "../../client/react";
import type { NewOrder, Notification, OrderStatusUpdated } from "../../src/protocol";
import { type Hub, startHub } from "../support/hub-process";
import { freshId, publisherFor, record, signToken } from "./helpers";

let hub: Hub;
let publisher: Publisher;
const sockets: RoomcastSocket[] = [];

beforeAll(async () => {
  hub = await startHub();
  publisher = publisherFor(hub);
});
afterAll(async () => {
  await hub?.stop();
});
afterEach(() => {
  cleanup();
  for (const socket of sockets.splice(0)) socket.disconnect();
});

async function socketFor(roles: string[], options: Partial<ConnectOptions> = {}) {
  const sub = freshId("u");
  const token = await signToken({ sub, roles });
  const socket = connect(hub.url, { auth: () => token, ...options });
  sockets.push(socket);
  return { socket, sub };
}

function OrderStatus(props: { orderId: string; onUpdate?: (update: OrderStatusUpdated, room: string) => void }) {
  const [status, setStatus] = useState("none");
  const { joined, error } = useOrderUpdates(props.orderId, (update, room) => {
    setStatus(update.status);
    props.onUpdate?.(update, room);
  });
  return <p data-testid="order">{`${joined ? "joined" : "waiting"}:${status}:${error?.code ?? ""}`}</p>;
}

const orderText = () => screen.getByTestId("order").textContent;

const newOrder = (customerName: string): NewOrder => ({
  orderId: freshId("o"),
  customerName,
  items: [{ name: "Soup", quantity: 2 }],
  createdAt: new Date().toISOString(),
});

function Kitchen(props: { onNewOrder: (order: NewOrder) => void }) {
  const [statuses, setStatuses] = useState<string[]>([]);
  const { joined } = useRestaurantOrders(props.onNewOrder, (update) => setStatuses((all) => [...all, update.status]));
  return <p data-testid="kitchen">{`${joined ? "joined" : "waiting"}:${statuses.join(",")}`}</p>;
}

const kitchenText = () => screen.getByTestId("kitchen").textContent;

function Two(props: { socket: RoomcastSocket; both: boolean }) {
  return (
    <RoomcastProvider socket={props.socket}>
      <Kitchen onNewOrder={() => {}} />
      {props.both ? <Kitchen onNewOrder={() => {}} /> : null}
    </RoomcastProvider>
  );
}

function Status(props: { onNotification: (text: string) => void }) {
  const online = useConnected();
  useNotifications((notification, room) => props.onNotification(`${room}:${notification.title}`));
  return <p data-testid="online">{online ? "online" : "offline"}</p>;
}

function App(props: {
  hubUrl: string;
  token: string;
  renderCount: number;
  onSocket: (socket: RoomcastSocket) => void;
  onNotification: (text: string) => void;
}) {
  // A new auth function on every render must not create or reconnect anything.
  const socket = useSocket(props.hubUrl, { auth: () => `${props.token}` });
  props.onSocket(socket);
  return (
    <RoomcastProvider socket={socket}>
      <Status onNotification={props.onNotification} />
      <span>{props.renderCount}</span>
    </RoomcastProvider>
  );
}

describe("useOrderUpdates", () => {
  test("receives order-status-updated for its order and leaves the room on unmount", async () => {
    const { socket } = await socketFor(["staff"]);
    const orderId = freshId("o");
    const room = `order-${orderId}`;
    const seen: [OrderStatusUpdated, string][] = [];
    const view = render(
      <RoomcastProvider socket={socket}>
        <OrderStatus orderId={orderId} onUpdate={(update, from) => seen.push([update, from])} />
      </RoomcastProvider>,
    );
    await waitFor(() => expect(orderText()).toBe("joined:none:"));

    const sent = await publisher.to(room).emit("order-status-updated", { orderId, status: "preparing" });
    expect(sent.delivered).toEqual({ [room]: 1 });
    await waitFor(() => expect(orderText()).toBe("joined:preparing:"));
    expect(seen).toEqual([[{ orderId, status: "preparing" }, room]]);

    view.unmount();
    await waitFor(() => expect(socket.roomState(room)).toBeUndefined());
    const after = await publisher.to(room).emit("order-status-updated", { orderId, status: "ready" });
    expect(after.delivered).toEqual({ [room]: 0 });
    expect(socket.connected).toBe(true);
  });

  test("a new orderId leaves the old order's room and joins the new one", async () => {
    const { socket } = await socketFor(["staff"]);
    const [first, second] = [freshId("o"), freshId("o")];
    const view = render(
      <RoomcastProvider socket={socket}>
        <OrderStatus orderId={first} />
      </RoomcastProvider>,
    );
    await waitFor(() => expect(orderText()).toBe("joined:none:"));
    view.rerender(
      <RoomcastProvider socket={socket}>
        <OrderStatus orderId={second} />
      </RoomcastProvider>,
    );
    await waitFor(() => expect(socket.roomState(`order-${second}`)).toBe("joined"));
    expect(socket.roomState(`order-${first}`)).toBeUndefined();
    await waitFor(() => expect(orderText()).toBe("joined:none:"));

    const result = await publisher
      .to([`order-${first}`, `order-${second}`])
      .emit("order-status-updated", { orderId: second, status: "ready" });
    expect(result.delivered).toEqual({ [`order-${first}`]: 0, [`order-${second}`]: 1 });
    await waitFor(() => expect(orderText()).toBe("joined:ready:"));
  });

  test("a refused order room shows the hub's code", async () => {
    const { socket } = await socketFor([]);
    render(
      <RoomcastProvider socket={socket}>
        <OrderStatus orderId={freshId("o")} />
      </RoomcastProvider>,
    );
    await waitFor(() => expect(orderText()).toBe("waiting:none:forbidden"));
  });

  test("a token refresh does not tear the room down: the hook keeps receiving", async () => {
    const sub = freshId("u");
    let refreshed = false;
    const socket = connect(hub.url, {
      auth: ({ reason }) => {
        if (reason === "token_expired") refreshed = true;
        return signToken({ sub, roles: ["staff"], expiresIn: refreshed ? 3600 : 3 });
      },
    });
    sockets.push(socket);
    const holds = vi.spyOn(socket, "hold");
    const orderId = freshId("o");
    const room = `order-${orderId}`;
    render(
      <RoomcastProvider socket={socket}>
        <OrderStatus orderId={orderId} />
      </RoomcastProvider>,
    );
    await waitFor(() => expect(orderText()).toBe("joined:none:"));
    const expired = record(socket, "room:disconnect");
    const resumed = record(socket, "room:reconnect");
    await expired.waitFor(2, 10_000);
    expect(expired.calls.map((call) => call.args[0])).toEqual(["token_expired", "token_expired"]);
    await resumed.waitFor(2, 5_000);

    await publisher.to(room).emit("order-status-updated", { orderId, status: "served" });
    await waitFor(() => expect(orderText()).toBe("joined:served:"));
    // The hook itself never left or rejoined: it held its room once.
    expect(holds.mock.calls.map((call) => call[0])).toEqual([room]);
  });
});

describe("useRestaurantOrders", () => {
  test("receives new-order and order-status-updated in the kitchen room", async () => {
    const { socket } = await socketFor(["kitchen"]);
    const orders: NewOrder[] = [];
    render(
      <RoomcastProvider socket={socket}>
        <Kitchen onNewOrder={(order) => orders.push(order)} />
      </RoomcastProvider>,
    );
    await waitFor(() => expect(kitchenText()).toBe("joined:"));
    const order = newOrder("Ada");
    await publisher.to("restaurant-kitchen").emit("new-order", order);
    await publisher
      .to("restaurant-kitchen")
      .emit("order-status-updated", { orderId: order.orderId, status: "cooking" });
    await waitFor(() => expect(kitchenText()).toBe("joined:cooking"));
    expect(orders).toEqual([order]);
  });

  test("re-rendering with new handlers neither re-subscribes nor rejoins; the newest handler is called", async () => {
    const { socket } = await socketFor(["kitchen"]);
    const subscriptions = vi.spyOn(socket, "onRoomEvent");
    const joins = record(socket, "room:connect");
    const leaves = record(socket, "room:disconnect");
    const calls: string[] = [];
    const tree = (label: string) => (
      <RoomcastProvider socket={socket}>
        <Kitchen onNewOrder={(order) => calls.push(`${label}:${order.customerName}`)} />
      </RoomcastProvider>
    );
    const view = render(tree("first"));
    await waitFor(() => expect(kitchenText()).toBe("joined:"));
    for (const label of ["second", "third", "fourth"]) view.rerender(tree(label));

    const result = await publisher.to("restaurant-kitchen").emit("new-order", newOrder("Grace"));
    expect(result.delivered).toEqual({ "restaurant-kitchen": 1 });
    await waitFor(() => expect(calls).toEqual(["fourth:Grace"]));
    expect(subscriptions).toHaveBeenCalledTimes(1);
    expect(joins.calls.filter((call) => call.args[0] === "restaurant-kitchen")).toHaveLength(1);
    expect(leaves.calls).toEqual([]);
  });

  test("two components on the kitchen room share it until the last one unmounts", async () => {
    const { socket } = await socketFor(["kitchen"]);
    const view = render(<Two socket={socket} both />);
    await waitFor(() =>
      expect(screen.getAllByTestId("kitchen").map((node) => node.textContent)).toEqual(["joined:", "joined:"]),
    );
    view.rerender(<Two socket={socket} both={false} />);
    // Give a wrong leave-room time to take effect.
    await act(() => new Promise((done) => setTimeout(done, 200)));
    expect(socket.roomState("restaurant-kitchen")).toBe("joined");
    view.unmount();
    await waitFor(() => expect(socket.roomState("restaurant-kitchen")).toBeUndefined());
  });
});

describe("useSocket, useConnected and useNotifications", () => {
  test("the app's socket connects on mount, hears notifications, and disconnects on unmount", async () => {
    const sub = freshId("u");
    const token = await signToken({ sub });
    const owned: RoomcastSocket[] = [];
    const heard: string[] = [];
    const app = (renderCount: number) => (
      <App
        hubUrl={hub.url}
        token={token}
        renderCount={renderCount}
        onSocket={(socket) => owned.includes(socket) || owned.push(socket)}
        onNotification={(text) => heard.push(text)}
      />
    );
    const view = render(app(0));
    await waitFor(() => expect(screen.getByTestId("online").textContent).toBe("online"));
    for (const count of [1, 2, 3]) view.rerender(app(count));
    expect(owned).toHaveLength(1);
    const socket = owned[0] as RoomcastSocket;
    sockets.push(socket);

    await publisher.to(`user-${sub}`).emit("notification", { title: "Order ready", body: "Table 4" });
    await waitFor(() => expect(heard).toEqual([`user-${sub}:Order ready`]));

    view.unmount();
    expect(socket.connected).toBe(false);
    const after = await publisher.to(`user-${sub}`).emit("notification", { title: "gone", body: "" });
    expect(after.delivered).toEqual({ [`user-${sub}`]: 0 });
  });
});

let inbox: Notifications | undefined;
function Inbox(props: { onShow: (notification: Notification) => void }) {
  inbox = useNotifications((notification) => props.onShow(notification));
  return null;
}

describe("useNotifications: offline delivery and markRead", () => {
  async function session(sub: string) {
    const token = await signToken({ sub });
    const socket = connect(hub.url, { auth: () => token });
    sockets.push(socket);
    const shown: Notification[] = [];
    const view = render(
      <RoomcastProvider socket={socket}>
        <Inbox onShow={(notification) => shown.push(notification)} />
      </RoomcastProvider>,
    );
    return { socket, shown, view };
  }

  test("notifications sent while the user was offline arrive on connect; read ones do not come back", async () => {
    const sub = freshId("u");
    const personal = `user-${sub}`;
    for (const [title, id] of [
      ["Table ready", "table-1"],
      ["Order 1 cooking", undefined],
      ["Pool closes", "pool-1"],
    ]) {
      const result = await publisher
        .to(personal)
        .emit("notification", { title: title as string, body: "", ...(id ? { id } : {}) });
      expect(result.delivered).toEqual({ [personal]: 0 });
    }

    const first = await session(sub);
    await waitFor(() =>
      expect(first.shown.map((n) => n.title)).toEqual(["Table ready", "Order 1 cooking", "Pool closes"]),
    );
    // The hub names every kept notification, so that each can be marked read.
    const ids = first.shown.map((n) => n.id);
    expect(ids[0]).toBe("table-1");
    expect(ids[1]).toEqual(expect.any(String));
    await expect(inbox?.markRead([ids[0] as string, ids[1] as string])).resolves.toBe(2);
    // Marking them again changes nothing.
    await expect(inbox?.markRead(ids[0] as string)).resolves.toBe(0);
    first.view.unmount();
    first.socket.disconnect();

    await publisher.to(personal).emit("notification", { title: "Spa booked", body: "" });
    const second = await session(sub);
    await waitFor(() => expect(second.shown.map((n) => n.title)).toEqual(["Pool closes", "Spa booked"]));
    await new Promise((done) => setTimeout(done, 300));
    expect(second.shown).toHaveLength(2);
  });
});
