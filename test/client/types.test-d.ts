/**
 * Compile-time tests of the typed API, checked by `npm run typecheck` (client/tsconfig.json covers
 * test/client). Every `@ts-expect-error` line must fail to compile; if one compiles, tsc reports
 * the unused directive and the typecheck fails.
 */
import { expectTypeOf } from "vitest";
import {
  type ChatHistory,
  type ChatMessage,
  type ChatTyping,
  connect,
  type DisconnectReason,
  type JoinedPayload,
  type LiveUser,
  type LiveUsersUpdate,
  type RecoveryFailedInfo,
  type RoomcastError,
  type RoomcastSocket,
} from "../../client/index";
import type { Publisher, PublishResult } from "../../client/publisher";
import {
  type TypingUser,
  useLiveUsers,
  useNotifications,
  useOrderUpdates,
  useRestaurantOrders,
  useRoom,
  useSupportChat,
} from "../../client/react";
import type { ErrorBody, NewOrder, Notification, OrderStatusUpdated, RoomInfo } from "../../src/protocol";

declare const socket: RoomcastSocket;
declare const publisher: Publisher;

// ----- on: server events carry their payload type and the room -------------------------------------

socket.on("order-status-updated", (data, room) => {
  expectTypeOf(data).toEqualTypeOf<OrderStatusUpdated>();
  expectTypeOf(room).toEqualTypeOf<string>();
});
socket.on("new-order", (data) => expectTypeOf(data).toEqualTypeOf<NewOrder>());
socket.on("notification", (data) => expectTypeOf(data).toEqualTypeOf<Notification>());
socket.on("error", (data) => expectTypeOf(data).toEqualTypeOf<ErrorBody>());
socket.on("room:connect", (room) => expectTypeOf(room).toEqualTypeOf<string>());
socket.on("room:connect_error", (error) => expectTypeOf(error).toEqualTypeOf<RoomcastError>());
socket.on("room:reconnect_attempt", (attempt, info) => {
  expectTypeOf(attempt).toEqualTypeOf<number>();
  expectTypeOf(info.delayMs).toEqualTypeOf<number>();
});
socket.on("joined", (data) => expectTypeOf(data).toEqualTypeOf<JoinedPayload>());
socket.on("live-users-update", (data) => expectTypeOf(data).toEqualTypeOf<LiveUsersUpdate>());
socket.on("chat:message", (data) => expectTypeOf(data).toEqualTypeOf<ChatMessage>());
socket.on("chat:history", (data) => expectTypeOf(data).toEqualTypeOf<ChatHistory>());
socket.on("chat:typing", (data) => expectTypeOf(data).toEqualTypeOf<ChatTyping>());
socket.on("recovery_failed", (info, room) => {
  expectTypeOf(info).toEqualTypeOf<RecoveryFailedInfo>();
  expectTypeOf(info.reason).toEqualTypeOf<"epoch_changed" | "history_gone">();
  expectTypeOf(room).toEqualTypeOf<string>();
});
socket.onAny((event, data) => {
  expectTypeOf(event).toEqualTypeOf<string>();
  expectTypeOf(data).toEqualTypeOf<unknown>();
});

// @ts-expect-error: no such event
socket.on("order-status-changed", () => {});
// @ts-expect-error: the payload of new-order is not an OrderStatusUpdated
socket.on("new-order", (data: OrderStatusUpdated) => data);
// @ts-expect-error: connect's listener gets a room name, not a number
socket.on("room:connect", (room: number) => room);
// @ts-expect-error: once is typed like on
socket.once("no-such-event", () => {});
// @ts-expect-error: recovery_failed's listener gets the info first, the room last
socket.on("recovery_failed", (room: string) => room);

// ----- emit: client events with their payloads and acks ----------------------------------------------

socket.emit("room:info");
socket.emit("room:info", undefined, (info, error) => {
  expectTypeOf(info).toEqualTypeOf<RoomInfo | undefined>();
  expectTypeOf(error).toEqualTypeOf<RoomcastError | undefined>();
});
expectTypeOf(socket.emitWithAck("room:info")).resolves.toEqualTypeOf<RoomInfo>();
expectTypeOf(socket.to("restaurant-kitchen").emitWithAck("room:info")).resolves.toEqualTypeOf<RoomInfo>();
socket.emit("join-room", "order-1", (ok, error) => {
  expectTypeOf(ok).toEqualTypeOf<boolean>();
  expectTypeOf(error).toEqualTypeOf<RoomcastError | undefined>();
});
socket.emit("leave-room", "order-1");
expectTypeOf(socket.emitWithAck("join-room", "order-1")).resolves.toEqualTypeOf<true>();
expectTypeOf(socket.emitWithAck("notification:read", { ids: ["n1"] })).resolves.toEqualTypeOf<{ read: number }>();
expectTypeOf(
  socket.to("support-1").emitWithAck("chat:message", { text: "hi", clientMessageId: "c1" }),
).resolves.toEqualTypeOf<ChatMessage>();

// @ts-expect-error: no such client event
socket.emit("room:nfo");
// @ts-expect-error: room:info takes no data
socket.emit("room:info", { room: "x" });
// @ts-expect-error: join-room needs a room name
socket.emit("join-room");
// @ts-expect-error: join-room's room is a string
socket.emit("join-room", 42);
// @ts-expect-error: to(room) emits only client events
socket.to("order-1").emit("new-order", {});
// @ts-expect-error: server-only events cannot be emitted by clients
socket.emitWithAck("order-status-updated", { orderId: 1, status: "ready" });
// @ts-expect-error: notification:read takes a list of ids
socket.emit("notification:read", { ids: "n1" });
// @ts-expect-error: chat:message needs a clientMessageId
socket.to("support-1").emit("chat:message", { text: "hi" });

// ----- publisher: only publishable events, with their payloads ---------------------------------------

publisher.to("order-1").emit("order-status-updated", { orderId: 1, status: "ready" });
publisher.to(["user-1", "user-2"]).to("pool-staff").emit("notification", { title: "t", body: "b" });
expectTypeOf(publisher.to("x").rooms).toEqualTypeOf<readonly string[]>();
expectTypeOf(publisher.to("x").emit("notification", { title: "t", body: "b" })).resolves.toEqualTypeOf<PublishResult>();
publisher.to("user-1").emit("notification", { title: "t", body: "b" }, { id: "invoice-7-paid" });

// @ts-expect-error: not an event backends may publish
publisher.to("order-1").emit("joined", { room: "order-1", userId: "u" });
// @ts-expect-error: order-status-updated needs a status
publisher.to("order-1").emit("order-status-updated", { orderId: 1 });
// @ts-expect-error: new-order's items are objects
publisher.to("restaurant-kitchen").emit("new-order", { orderId: 1, customerName: "A", items: ["soup"], createdAt: "" });
// @ts-expect-error: notification has no `message` field
publisher.to("user-1").emit("notification", { title: "t", body: "b", message: "m" });
// @ts-expect-error: the idempotency id is a string
publisher.to("user-1").emit("notification", { title: "t", body: "b" }, { id: 7 });

// ----- hooks: handlers get the event's payload ----------------------------------------------------------

export function TypedHooks(): null {
  useOrderUpdates(1, (update) => expectTypeOf(update).toEqualTypeOf<OrderStatusUpdated>());
  useRestaurantOrders((order) => expectTypeOf(order).toEqualTypeOf<NewOrder>());
  useRoom("pool-staff", { notification: (data) => expectTypeOf(data).toEqualTypeOf<Notification>() });
  useOrderUpdates(1, () => {}, {
    onRecoveryFailed: (info, room) => {
      expectTypeOf(info.since).toEqualTypeOf<number>();
      expectTypeOf(room).toEqualTypeOf<string>();
    },
  });
  useRestaurantOrders(() => {}, undefined, {
    onRecoveryFailed: (info) => expectTypeOf(info).toEqualTypeOf<RecoveryFailedInfo>(),
  });
  const { markRead } = useNotifications(() => {}, { onRecoveryFailed: () => {} });
  expectTypeOf(markRead(["n1"])).resolves.toEqualTypeOf<number>();
  const live = useLiveUsers();
  expectTypeOf(live.users).toEqualTypeOf<LiveUser[]>();
  expectTypeOf(live.byRole).toEqualTypeOf<Record<string, number>>();
  const chat = useSupportChat("42");
  expectTypeOf(chat.messages).toEqualTypeOf<ChatMessage[]>();
  expectTypeOf(chat.typing).toEqualTypeOf<TypingUser[]>();
  expectTypeOf(chat.send("hi")).resolves.toEqualTypeOf<ChatMessage>();
  expectTypeOf(chat.loadOlder()).resolves.toEqualTypeOf<boolean>();
  expectTypeOf(chat.markRead(3)).resolves.toEqualTypeOf<number>();
  // @ts-expect-error: markRead takes a seq, not a message
  chat.markRead(chat.messages[0]);
  // @ts-expect-error: useOrderUpdates' handler gets an OrderStatusUpdated
  useOrderUpdates(1, (update: NewOrder) => update);
  // @ts-expect-error: no such event in a room
  useRoom("pool-staff", { "order-status-changed": () => {} });
  return null;
}

// ----- Socket.io compatibility -------------------------------------------------------------------------

socket.on("connect", () => {});
socket.on("disconnect", (reason) => expectTypeOf(reason).toEqualTypeOf<DisconnectReason>());
socket.on("connect_error", (error) => expectTypeOf(error).toEqualTypeOf<RoomcastError>());
socket.on("room:disconnect", (reason, room) => {
  expectTypeOf(reason).toEqualTypeOf<DisconnectReason>();
  expectTypeOf(room).toEqualTypeOf<string>();
});
socket.io.on("reconnect_attempt", (attempt) => expectTypeOf(attempt).toEqualTypeOf<number>());
socket.io.on("reconnect", (attempt) => expectTypeOf(attempt).toEqualTypeOf<number>());
socket.io.on("reconnect_error", (error) => expectTypeOf(error).toEqualTypeOf<RoomcastError>());
socket.io.on("reconnect_failed", () => {});
expectTypeOf(socket.id).toEqualTypeOf<string | undefined>();
socket.timeout(1_000).emit("room:info", undefined, (error, info) => {
  expectTypeOf(error).toEqualTypeOf<RoomcastError | null>();
  expectTypeOf(info).toEqualTypeOf<RoomInfo | undefined>();
});
expectTypeOf(socket.timeout(1_000).emitWithAck("room:info")).resolves.toEqualTypeOf<RoomInfo>();
expectTypeOf(socket.to("pool-staff").timeout(500).emitWithAck("room:info")).resolves.toEqualTypeOf<RoomInfo>();
const stop = socket.listen({ connect: () => {}, "pool-status-updated": (data) => data.status });
expectTypeOf(stop).toEqualTypeOf<() => void>();
connect("https://hub.example.com", { auth: (cb) => cb({ token: "t" }) });
connect("https://hub.example.com", { auth: async ({ reason }) => reason });
connect("https://hub.example.com", {
  auth: { token: "t" },
  reconnection: true,
  reconnectionAttempts: 5,
  reconnectionDelay: 1_000,
  reconnectionDelayMax: 5_000,
  timeout: 20_000,
  transports: ["websocket"],
});

// @ts-expect-error: the socket's connect listener takes no room (room:connect does)
socket.on("connect", (room: string) => room);
// @ts-expect-error: no such manager event
socket.io.on("reconnecting", () => {});
// @ts-expect-error: there is no send(); emit a client event instead
socket.send("hello");
// @ts-expect-error: unknown options are refused
connect("https://hub.example.com", { auth: "t", reconnectDelay: 100 });
// @ts-expect-error: a client event takes one data argument and an ack
socket.emit("room:info", undefined, "extra", () => {});
// @ts-expect-error: join-room takes the room and an ack
socket.emit("join-room", "order-1", "extra", () => {});
// @ts-expect-error: timeout acks are error first
socket.timeout(1_000).emit("room:info", undefined, (info: RoomInfo) => info);

// ----- app-defined events (src/app-events.ts) ----------------------------------------------------------

socket.on("pool-status-updated", (data) => {
  expectTypeOf(data.status).toEqualTypeOf<"open" | "busy" | "full" | "closed" | "maintenance">();
  expectTypeOf(data.occupancy).toEqualTypeOf<number | undefined>();
});
publisher
  .to("pool-staff")
  .emit("pool-status-updated", { poolId: "main", status: "open", updatedAt: new Date().toISOString() });
publisher.to("restaurant-kitchen").emit("new-order", {
  orderId: 7,
  customerName: "Ada",
  items: [
    { name: "Soup", quantity: 1, sku: "S-1", price: 650, options: [{ name: "Size", value: "large", price: 100 }] },
  ],
  currency: "EUR",
  total: 750,
  createdAt: new Date().toISOString(),
});
socket.on("notification", (data) => expectTypeOf(data.id).toEqualTypeOf<string>());

// @ts-expect-error: pool-status-updated's status is one of the declared names
publisher.to("pool-staff").emit("pool-status-updated", { poolId: "main", status: "packed", updatedAt: "" });
const priceAsText = {
  orderId: 1,
  customerName: "A",
  items: [{ name: "x", quantity: 1, price: "6.50" }],
  createdAt: "",
};
// @ts-expect-error: prices are integers of minor units, typed as numbers, not strings
publisher.to("restaurant-kitchen").emit("new-order", priceAsText);
