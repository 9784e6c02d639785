// @vitest-environment happy-dom
// @vitest-environment-options {"settings":{"fetch":{"disableSameOriginPolicy":true}}}
/**
 * The presence and support-chat hooks in a DOM against the real hub, and what the room hooks do
 * when a rejoin cannot recover (the hub comes back with empty storage: a new epoch).
 */
import { act, cleanup, render, waitFor } from "@testing-library/react";
import { afterAll, afterEach, beforeAll, describe, expect, onTestFinished, test } from "vitest";
import { type ChatMessage, connect, type RecoveryFailedInfo, type RoomcastSocket } from "../../client/index";
import {
  type LiveUsers,
  RoomcastProvider,
  type SupportChat,
  useLiveUsers,
  useNotifications,
  useOrderUpdates,
  usePagePresence,
  useSupportChat,
} from "../../client/react";
import { type Hub, startHub } from "../support/hub-process";
import { freshId, muteRefusedConnections, publisherFor, signToken, sleep } from "./helpers";

let hub: Hub;
const sockets: RoomcastSocket[] = [];

beforeAll(async () => {
  hub = await startHub();
});
afterAll(async () => {
  await hub?.stop();
});
afterEach(() => {
  cleanup();
  for (const socket of sockets.splice(0)) socket.disconnect();
});

async function socketFor(roles: string[], sub = freshId("u"), name?: string) {
  const token = await signToken({ sub, roles, ...(name ? { name } : {}) });
  const socket = connect(hub.url, { auth: () => token, minReconnectionDelayMs: 100, maxReconnectionDelayMs: 500 });
  sockets.push(socket);
  return { socket, sub };
}

let live: LiveUsers | undefined;
function Dashboard() {
  live = useLiveUsers();
  return null;
}

function Page(props: { path: string }) {
  usePagePresence(props.path);
  return null;
}

let chat: SupportChat | undefined;
function ChatView(props: { userId: string; typingTimeoutMs?: number; onRecoveryFailed?: () => void }) {
  chat = useSupportChat(props.userId, {
    typingTimeoutMs: props.typingTimeoutMs,
    onRecoveryFailed: props.onRecoveryFailed,
  });
  return null;
}

/** An order, the notifications and the dashboard on one screen, recording recovery failures by hook. */
function StaffScreen(props: { orderId: string; statuses: string[]; calls: [string, RecoveryFailedInfo][] }) {
  useOrderUpdates(props.orderId, (update) => props.statuses.push(update.status), {
    onRecoveryFailed: (info, room) => props.calls.push([`order:${room}`, info]),
  });
  useNotifications(() => {}, {
    onRecoveryFailed: (info, room) => props.calls.push([`notifications:${room}`, info]),
  });
  live = useLiveUsers();
  return null;
}

const texts = (messages: ChatMessage[] | undefined) => (messages ?? []).map((message) => message.text);

describe("useLiveUsers and usePagePresence", () => {
  test("the dashboard lists a user on the page their tab reports, with totals", async () => {
    const { socket: admin } = await socketFor(["admin"]);
    const { socket: guest, sub } = await socketFor([], freshId("u"), "Grace");
    render(
      <RoomcastProvider socket={admin}>
        <Dashboard />
      </RoomcastProvider>,
    );
    const view = render(
      <RoomcastProvider socket={guest}>
        <Page path="/menu" />
      </RoomcastProvider>,
    );
    const guestEntry = () => live?.users.find((user) => user.userId === sub);
    await waitFor(() => expect(guestEntry()?.path).toBe("/menu"), { timeout: 10_000 });
    expect(live).toMatchObject({ joined: true, error: null, truncated: false });
    expect(guestEntry()).toMatchObject({ name: "Grace", roles: [], connections: 1 });
    expect(live?.total).toBeGreaterThanOrEqual(2);
    expect(live?.connections).toBeGreaterThanOrEqual(2);
    expect(live?.byRole.customer).toBeGreaterThanOrEqual(1);
    expect(live?.receivedAt).toEqual(expect.any(Number));

    view.rerender(
      <RoomcastProvider socket={guest}>
        <Page path="/orders" />
      </RoomcastProvider>,
    );
    await waitFor(() => expect(guestEntry()?.path).toBe("/orders"), { timeout: 10_000 });
  });
});

describe("useSupportChat", () => {
  test("history on join, older pages, typing that expires, sends stored once, and read positions", async () => {
    const customer = freshId("c");
    const room = `support-${customer}`;
    // 60 messages from 12 agents, 5 each (the hub allows 5 per second per socket).
    const agents = await Promise.all(Array.from({ length: 12 }, () => socketFor(["support"])));
    await Promise.all(
      agents.map(async ({ socket }, agent) => {
        await socket.emitWithAck("join-room", room);
        for (let index = 0; index < 5; index++) {
          await socket
            .to(room)
            .emitWithAck("chat:message", { text: `a${agent}-${index}`, clientMessageId: `m${index}` });
        }
      }),
    );
    const { socket } = await socketFor([], customer);
    render(
      <RoomcastProvider socket={socket}>
        <ChatView userId={customer} typingTimeoutMs={600} />
      </RoomcastProvider>,
    );
    // The hub sends the latest 50 on join.
    await waitFor(() => expect(chat?.loaded).toBe(true), { timeout: 10_000 });
    expect(chat).toMatchObject({ joined: true, room, hasMore: true });
    expect(chat?.messages).toHaveLength(50);
    const seqs = (chat?.messages ?? []).map((message) => message.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    await act(async () => {
      await expect(chat?.loadOlder()).resolves.toBe(false);
    });
    expect(chat?.messages).toHaveLength(60);
    expect(chat?.hasMore).toBe(false);
    expect(new Set(texts(chat?.messages)).size).toBe(60);

    // Someone else typing shows up, and goes away after the timeout without news.
    const agent = agents[0]?.socket as RoomcastSocket;
    agent.to(room).emit("chat:typing", { typing: true });
    await waitFor(() => expect(chat?.typing.map((user) => user.userId)).toEqual([agent.userId]));
    await waitFor(() => expect(chat?.typing).toEqual([]), { timeout: 3_000 });

    // A send resolves with the stored message; the broadcast of it does not add a second copy.
    let stored: ChatMessage | undefined;
    await act(async () => {
      stored = await chat?.send("hello from the customer");
    });
    expect(stored).toMatchObject({ text: "hello from the customer", author: { id: customer, role: "customer" } });
    // Resending with the same clientMessageId (a retry) returns the stored message, kept once.
    let again: ChatMessage | undefined;
    await act(async () => {
      again = await chat?.send("hello from the customer", { clientMessageId: stored?.clientMessageId });
    });
    expect(again?.id).toBe(stored?.id);
    await act(() => sleep(300));
    expect(chat?.messages).toHaveLength(61);
    expect(chat?.messages.at(-1)?.id).toBe(stored?.id);

    // An agent's message arrives live and ends that agent's typing.
    agent.to(room).emit("chat:typing", { typing: true });
    await waitFor(() => expect(chat?.typing).toHaveLength(1));
    await agent.to(room).emitWithAck("chat:message", { text: "how can I help?", clientMessageId: "reply-1" });
    await waitFor(() => expect(texts(chat?.messages).at(-1)).toBe("how can I help?"));
    expect(chat?.typing).toEqual([]);

    let read: number | undefined;
    await act(async () => {
      read = await chat?.markRead();
    });
    expect(read).toBe(chat?.messages.at(-1)?.seq);
  });

  test("a second component on an already joined chat asks for the history itself", async () => {
    const customer = freshId("c");
    const { socket } = await socketFor([], customer);
    await socket.emitWithAck("join-room", `support-${customer}`);
    await socket.to(`support-${customer}`).emitWithAck("chat:message", { text: "first", clientMessageId: "f1" });
    render(
      <RoomcastProvider socket={socket}>
        <ChatView userId={customer} />
      </RoomcastProvider>,
    );
    await waitFor(() => expect(texts(chat?.messages)).toEqual(["first"]));
    expect(chat?.loaded).toBe(true);
  });
});

// Last in this file: it replaces the hub with one whose storage is empty.
describe("when a rejoin cannot recover", () => {
  test("hooks call onRecoveryFailed, the chat reloads its history, presence reports the page again", async () => {
    const staff = await socketFor(["staff", "admin"]);
    const customer = freshId("c");
    const { socket: customerSocket } = await socketFor([], customer);
    const orderId = freshId("o");
    const calls: [string, RecoveryFailedInfo][] = [];
    const statuses: string[] = [];
    render(
      <RoomcastProvider socket={staff.socket}>
        <StaffScreen orderId={orderId} statuses={statuses} calls={calls} />
      </RoomcastProvider>,
    );
    render(
      <RoomcastProvider socket={customerSocket}>
        <Page path="/help" />
        <ChatView userId={customer} onRecoveryFailed={() => calls.push([`chat:support-${customer}`, {} as never])} />
      </RoomcastProvider>,
    );
    await waitFor(() => expect(staff.socket.roomState(`order-${orderId}`)).toBe("joined"));
    await waitFor(() => expect(chat?.loaded).toBe(true));
    await act(async () => {
      await chat?.send("before the outage");
    });
    await publisherFor(hub).to(`order-${orderId}`).emit("order-status-updated", { orderId, status: "cooking" });
    await waitFor(() => expect(statuses).toEqual(["cooking"]));
    const customerEntry = () => live?.users.find((user) => user.userId === customer);
    await waitFor(() => expect(customerEntry()?.path).toBe("/help"), { timeout: 10_000 });

    const port = hub.port;
    // The outage is the point: the clients' access checks are refused until the new hub is up.
    onTestFinished(muteRefusedConnections(port));
    await hub.stop();
    hub = await startHub({ port });

    const expected = [
      `order:order-${orderId}`,
      `notifications:order-${orderId}`,
      `notifications:user-${staff.sub}`,
      `notifications:admin-dashboard`,
      `chat:support-${customer}`,
    ];
    await waitFor(() => expect(calls.map(([what]) => what).sort()).toEqual(expected.sort()), { timeout: 20_000 });
    const orderInfo = calls.find(([what]) => what.startsWith("order:"))?.[1];
    expect(orderInfo).toMatchObject({ since: 1, seq: 0, reason: "epoch_changed" });
    // The chat's list is what the new hub has (nothing), not what the old one had.
    await waitFor(() => expect(chat?.messages).toEqual([]));
    // The customer's tab told the new hub's presence its page again.
    await waitFor(() => expect(customerEntry()?.path).toBe("/help"), { timeout: 10_000 });

    await publisherFor(hub).to(`order-${orderId}`).emit("order-status-updated", { orderId, status: "served" });
    await waitFor(() => expect(statuses).toEqual(["cooking", "served"]));
  });
});
