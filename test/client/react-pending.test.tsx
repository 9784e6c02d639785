// @vitest-environment happy-dom
// @vitest-environment-options {"settings":{"fetch":{"disableSameOriginPolicy":true}}}
/**
 * The hooks for events this library was written before the protocol defined (presence, support
 * chat), against a fake hub that sends them on demand: they must render what is readable and
 * ignore what is not.
 */
import { cleanup, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, test } from "vitest";
import { connect, type RoomcastSocket } from "../../client/index";
import { RoomcastProvider, type SupportChat, useLiveUsers, useSupportChat } from "../../client/react";
import { type FakeHub, startFakeHub } from "./fake-hub";
import { signToken, waitFor as waitUntil } from "./helpers";

let hub: FakeHub | undefined;
let socket: RoomcastSocket | undefined;
afterEach(async () => {
  cleanup();
  socket?.disconnect();
  await hub?.close();
});

function LiveUsersView() {
  const { users, total, truncated, joined } = useLiveUsers();
  const names = users.map((user) => `${user.userId}${user.name ? `(${user.name})` : ""}`).join(",");
  return <p data-testid="live">{`${joined ? "joined" : "waiting"}|${total}|${truncated}|${names}`}</p>;
}

let chat: SupportChat | undefined;
function ChatView(props: { userId: string }) {
  chat = useSupportChat(props.userId);
  const lines = chat.messages.map((message) => `${message.author.id}:${message.text}`).join(",");
  return <p data-testid="chat">{`${chat.joined ? "joined" : "waiting"}|${lines}|${chat.typing.join(",")}`}</p>;
}

const text = (id: string) => screen.getByTestId(id).textContent;

describe("useLiveUsers", () => {
  test("shows the last readable live-users-update and ignores unreadable ones", async () => {
    hub = await startFakeHub();
    socket = connect(hub.url, { auth: await signToken({ sub: "admin1", roles: ["admin"] }) });
    render(
      <RoomcastProvider socket={socket}>
        <LiveUsersView />
      </RoomcastProvider>,
    );
    await waitFor(() => expect(text("live")).toBe("joined|0|false|"));
    const dashboard = hub.of("admin-dashboard")[0];
    dashboard?.send({
      event: "live-users-update",
      room: "admin-dashboard",
      data: {
        users: [
          { userId: "u1", name: "Ann", roles: ["admin"], path: "/orders", connections: 2, lastSeenAt: 1 },
          { nobody: true },
          { userId: "u2", roles: "not-a-list" },
        ],
        total: 7,
        connections: 9,
        byRole: { admin: 1 },
        truncated: true,
      },
    });
    await waitFor(() => expect(text("live")).toBe("joined|7|true|u1(Ann),u2"));
    dashboard?.send({ event: "live-users-update", room: "admin-dashboard", data: "garbage" });
    dashboard?.send({ event: "live-users-update", room: "admin-dashboard", data: [{ userId: "u3" }] });
    await waitFor(() => expect(text("live")).toBe("joined|1|false|u3"));
  });
});

describe("useSupportChat", () => {
  test("history, messages once each, typing, and sending with an idempotency id", async () => {
    const stored = (text: string, clientMessageId: string, seq: number) => ({
      id: `m${seq}`,
      seq,
      room: "support-cust1",
      text,
      clientMessageId,
      author: { id: "cust1", role: "customer" },
      createdAt: 1_700_000_000_000 + seq,
    });
    hub = await startFakeHub({
      onRequest: (connection, event, data) => {
        if (event !== "chat:message") return null;
        const { text: body, clientMessageId } = data as { text: string; clientMessageId: string };
        const message = stored(body, clientMessageId, 3);
        // The hub also broadcasts the stored message to the room, the sender included.
        connection.send({ event: "chat:message", room: connection.room, data: message, seq: 3 });
        return message;
      },
    });
    socket = connect(hub.url, { auth: await signToken({ sub: "cust1" }) });
    render(
      <RoomcastProvider socket={socket}>
        <ChatView userId="cust1" />
      </RoomcastProvider>,
    );
    await waitFor(() => expect(text("chat")).toBe("joined||"));
    const room = hub.of("support-cust1")[0];
    room?.send({
      event: "chat:history",
      room: "support-cust1",
      data: {
        messages: [
          stored("hello", "c1", 1),
          { id: "m2", seq: 2, text: "hi, how can I help?", author: { id: "agent7" } },
          42,
        ],
        hasMore: false,
      },
    });
    await waitFor(() => expect(text("chat")).toBe("joined|cust1:hello,agent7:hi, how can I help?|"));

    room?.send({ event: "chat:typing", room: "support-cust1", data: { userId: "agent7", typing: true } });
    await waitFor(() => expect(text("chat")).toMatch(/\|agent7$/));

    await chat?.send("my order is late");
    await waitFor(() =>
      expect(text("chat")).toBe("joined|cust1:hello,agent7:hi, how can I help?,cust1:my order is late|agent7"),
    );
    const sent = room?.frames.map((frame) => JSON.parse(frame)).find((frame) => frame.event === "chat:message");
    expect(sent?.data).toEqual({ text: "my order is late", clientMessageId: expect.any(String) });

    // A message from the typist ends their typing indicator.
    room?.send({
      event: "chat:message",
      room: "support-cust1",
      data: { ...stored("on it", "a1", 4), author: { id: "agent7" } },
    });
    await waitFor(() => expect(text("chat")).toMatch(/agent7:on it\|$/));

    chat?.setTyping(true);
    await waitUntil(() => room?.frames.some((frame) => frame.includes("chat:typing")) === true);
    expect(room?.frames.map((frame) => JSON.parse(frame)).filter((frame) => frame.event === "chat:typing")).toEqual([
      { event: "chat:typing", data: { typing: true } },
    ]);
  });
});
