import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  CHAT,
  type ChatHistory,
  type ChatMessage,
  type ConversationPage,
  type ConversationSummary,
} from "../../src/protocol";
import { ROOM_KINDS } from "../../src/room-policy";
import {
  ageRoom,
  type Frame,
  join,
  request,
  settled,
  sleep,
  type TestSocket,
  tokenFor,
  uniqueId,
  upgrade,
  waitUntil,
} from "./helpers";

let ackCounter = 100;

/** Sends a chat message and returns its ack frame. */
function say(socket: TestSocket, text: string, clientMessageId = uniqueId()): Promise<Frame> {
  return request(socket, "chat:message", { text, clientMessageId }, ackCounter++);
}

/** Whether the agents' room stores a line for this customer's conversation. */
function listed(customer: string): Promise<boolean> {
  return runInDurableObject(
    env.ROOMS.getByName("support-agents"),
    (_, state) =>
      state.storage.sql.exec("SELECT 1 FROM conversations WHERE user_id = ?", customer).toArray().length === 1,
  );
}

function framesOf(socket: TestSocket, event: string): Frame[] {
  return socket.frames.filter((frame) => frame.event === event);
}

async function waitForEvent(socket: TestSocket, event: string, count = 1, timeoutMs = 5_000): Promise<Frame[]> {
  const deadline = Date.now() + timeoutMs;
  while (framesOf(socket, event).length < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} ${event}: ${JSON.stringify(socket.frames)}`);
    await sleep(5);
  }
  return framesOf(socket, event);
}

async function conversation() {
  const customer = uniqueId();
  const room = `support-${customer}`;
  const customerToken = await tokenFor(customer, [], "Ada");
  const agentToken = await tokenFor(`agent-${uniqueId().slice(0, 8)}`, ["support"], "Sam");
  return { customer, room, customerToken, agentToken };
}

describe("support chat", () => {
  it("carries messages both ways between a customer and an agent, with the stored message in the ack", async () => {
    const { customer, room, customerToken, agentToken } = await conversation();
    const ada = await join(room, customerToken);
    const sam = await join(room, agentToken);
    expect((await waitForEvent(ada, "chat:history"))[0]?.data).toEqual({ messages: [], hasMore: false });

    const ack = await say(ada, "  Where is my towel?  ", "c-1");
    const stored = ack.data as ChatMessage;
    expect(ack.event).toBe("ack");
    expect(stored).toEqual({
      id: expect.any(String),
      seq: 1,
      room,
      text: "Where is my towel?",
      clientMessageId: "c-1",
      author: { id: customer, name: "Ada", role: "customer" },
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect((await waitForEvent(sam, "chat:message"))[0]).toMatchObject({ room, data: stored, seq: 1 });

    const reply = (await say(sam, "On its way!")).data as ChatMessage;
    expect(reply.author).toMatchObject({ name: "Sam", role: "support" });
    expect(reply.seq).toBe(2);
    const atAda = await waitForEvent(ada, "chat:message", 2);
    expect(atAda.map((frame) => (frame.data as ChatMessage).text)).toEqual(["Where is my towel?", "On its way!"]);
  });

  it("gives a reconnecting member the history it sent, in order, and keeps it across eviction", async () => {
    const { room, customerToken, agentToken } = await conversation();
    const ada = await join(room, customerToken);
    const sam = await join(room, agentToken);
    const sent: string[] = [];
    for (let i = 0; i < 4; i++) {
      const [who, text] = i % 2 === 0 ? [ada, `customer ${i}`] : [sam, `agent ${i}`];
      await say(who, text);
      sent.push(text);
    }
    ada.ws.close(1000);
    await evictDurableObject(env.ROOMS.getByName(room));

    const back = await join(room, customerToken);
    const history = (await waitForEvent(back, "chat:history"))[0]?.data as ChatHistory;
    expect(history.messages.map((message) => message.text)).toEqual(sent);
    expect(history.messages.map((message) => message.seq)).toEqual([1, 2, 3, 4]);
    expect(history.hasMore).toBe(false);
  });

  it("pages back through older messages", async () => {
    const { room, customerToken } = await conversation();
    // 24 agents, five messages each: every user stays within the per-user rate limit.
    const sockets = await Promise.all(
      Array.from({ length: 24 }, async (_, i) =>
        join(room, await tokenFor(`agent-${i}-${uniqueId().slice(0, 8)}`, ["support"])),
      ),
    );
    for (let i = 0; i < 120; i++) await say(sockets[i % sockets.length] as TestSocket, `m${i}`);
    const reader = await join(room, customerToken);
    const first = (await waitForEvent(reader, "chat:history"))[0]?.data as ChatHistory;
    expect(first.messages).toHaveLength(CHAT.historyPage);
    expect(first.messages.at(-1)?.text).toBe("m119");
    expect(first.hasMore).toBe(true);

    const second = (await request(reader, "chat:history", { before: first.messages[0]?.seq, limit: 60 }, 1))
      .data as ChatHistory;
    expect(second.messages.map((message) => message.text)).toEqual(Array.from({ length: 60 }, (_, i) => `m${i + 10}`));
    expect(second.hasMore).toBe(true);
    const third = (await request(reader, "chat:history", { before: second.messages[0]?.seq, limit: 100 }, 2))
      .data as ChatHistory;
    expect(third.messages.map((message) => message.text)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    expect(third.hasMore).toBe(false);
    const tooMany = await request(reader, "chat:history", { limit: 101 }, 3);
    expect(tooMany.data).toMatchObject({ code: "invalid_payload" });
  }, 60_000);

  it("stores a retried clientMessageId once and acks the original", async () => {
    const { room, customerToken, agentToken } = await conversation();
    const ada = await join(room, customerToken);
    const sam = await join(room, agentToken);
    const first = (await say(ada, "hello", "retry-1")).data as ChatMessage;
    const again = (await say(ada, "hello", "retry-1")).data as ChatMessage;
    expect(again).toEqual(first);
    // Another author may use the same client id.
    expect(((await say(sam, "hi", "retry-1")).data as ChatMessage).seq).toBe(2);
    await settled(sam);
    expect(framesOf(sam, "chat:message")).toHaveLength(2);
    const count = await runInDurableObject(env.ROOMS.getByName(room), (_, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM messages").one(),
    );
    expect(count.n).toBe(2);
  });

  it("refuses a customer from another customer's conversation", async () => {
    const { room } = await conversation();
    const res = await upgrade(room, { token: await tokenFor(uniqueId(), [], "Eve") });
    expect(res.status).toBe(403);
  });

  it("passes typing to the others only, and stores none of it", async () => {
    const { room, customerToken, agentToken } = await conversation();
    const ada = await join(room, customerToken);
    const sam = await join(room, agentToken);
    await request(ada, "chat:typing", { typing: true }, 1);
    const typing = (await waitForEvent(sam, "chat:typing"))[0];
    expect(typing).toEqual({
      event: "chat:typing",
      room,
      data: { userId: expect.any(String), name: "Ada", typing: true },
    });
    expect(typing?.seq).toBeUndefined();
    await request(ada, "chat:typing", { typing: false }, 2);
    await waitForEvent(sam, "chat:typing", 2);
    expect(framesOf(ada, "chat:typing")).toHaveLength(0);
    const stored = await runInDurableObject(env.ROOMS.getByName(room), (_, state) => ({
      events: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM events").one().n,
      messages: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM messages").one().n,
    }));
    expect(stored).toEqual({ events: 0, messages: 0 });
  });

  it("thins a burst of typing hints", async () => {
    const { room, customerToken, agentToken } = await conversation();
    const ada = await join(room, customerToken);
    const sam = await join(room, agentToken);
    for (let i = 0; i < 10; i++) await request(ada, "chat:typing", { typing: true }, i + 1);
    await settled(sam);
    expect(framesOf(sam, "chat:typing")).toHaveLength(1);
  });

  it(`refuses more than ${CHAT.maxMessagesPerSecond} messages per second from all of a customer's tabs together, and the agents hear only those accepted`, async () => {
    const { customer, room, customerToken } = await conversation();
    const agents = await join("support-agents", await tokenFor(`agent-${uniqueId().slice(0, 8)}`, ["support"]));
    const tabs = await Promise.all(Array.from({ length: 6 }, () => join(room, customerToken)));
    // 30 messages from six tabs at once, five each.
    const answers = await Promise.all(
      tabs.flatMap((tab, t) => Array.from({ length: 5 }, (_, i) => say(tab, `t${t}-m${i}`))),
    );
    const accepted = answers.filter((answer) => answer.event === "ack");
    expect(accepted).toHaveLength(CHAT.maxMessagesPerSecond);
    expect(
      answers
        .filter((answer) => answer.event === "error")
        .every((answer) => (answer.data as { code: string }).code === "rate_limited"),
    ).toBe(true);
    // The agents' list moved once per accepted message, and ends on the last one.
    const updates = await waitForEvent(agents, "support:conversation-updated", CHAT.maxMessagesPerSecond);
    const ours = updates.filter((frame) => (frame.data as { userId: string }).userId === customer);
    const lastAccepted = accepted
      .map((answer) => answer.data as ChatMessage)
      .sort((a, b) => a.seq - b.seq)
      .at(-1);
    await request(agents, "room:info", undefined, 99);
    expect(
      framesOf(agents, "support:conversation-updated").filter(
        (frame) => (frame.data as { userId: string }).userId === customer,
      ),
    ).toHaveLength(CHAT.maxMessagesPerSecond);
    expect((ours.at(-1)?.data as { lastMessage: ChatMessage } | undefined)?.lastMessage.seq).toBe(lastAccepted?.seq);
  });

  it(`refuses more than ${CHAT.maxMessagesPerSecond} messages per second per socket with rate_limited`, async () => {
    const { room, customerToken } = await conversation();
    const ada = await join(room, customerToken);
    const answers = [];
    for (let i = 0; i < CHAT.maxMessagesPerSecond + 2; i++) answers.push(await say(ada, `m${i}`));
    expect(answers.filter((answer) => answer.event === "ack")).toHaveLength(CHAT.maxMessagesPerSecond);
    expect(answers.at(-1)).toMatchObject({ event: "error", data: { code: "rate_limited" } });
    await sleep(1_000);
    expect((await say(ada, "later")).event).toBe("ack");
  });

  it.each([
    ["empty after trimming", { text: "   ", clientMessageId: "x" }],
    ["too long", { text: "x".repeat(CHAT.maxTextLength + 1), clientMessageId: "x" }],
    ["without clientMessageId", { text: "hi" }],
    ["with an author", { text: "hi", clientMessageId: "x", author: { role: "admin" } }],
  ])("refuses a message %s and stores nothing", async (_, data) => {
    const { room, customerToken } = await conversation();
    const ada = await join(room, customerToken);
    expect((await request(ada, "chat:message", data, 1)).data).toMatchObject({ code: "invalid_payload" });
    const count = await runInDurableObject(env.ROOMS.getByName(room), (_, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM messages").one(),
    );
    expect(count.n).toBe(0);
  });
});

describe("the agents' list of conversations", () => {
  it("updates agents on every customer message, counts unread, and clears it when an agent reads", async () => {
    const agent = await join("support-agents", await tokenFor("agent-list", ["support"]));
    const { customer, room, customerToken, agentToken } = await conversation();
    const ada = await join(room, customerToken);
    const before = framesOf(agent, "support:conversation-updated").length;
    await say(ada, "one");
    await say(ada, "two");
    const updates = (await waitForEvent(agent, "support:conversation-updated", before + 2))
      .slice(before)
      .filter((frame) => (frame.data as { userId: string }).userId === customer);
    expect(updates.at(-1)?.data).toMatchObject({
      userId: customer,
      customerName: "Ada",
      lastMessage: { text: "two" },
      unreadForAgents: 2,
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      cursor: expect.any(Number),
    });
    // The summary's time is the last message's, as the same ISO string.
    const latest = updates.at(-1)?.data as ConversationSummary;
    expect(latest.updatedAt).toBe(latest.lastMessage.createdAt);

    const sam = await join(room, agentToken);
    const seen = framesOf(agent, "support:conversation-updated").length;
    expect((await request(sam, "chat:read", { seq: 2 }, 1)).data).toEqual({ seq: 2 });
    const read = (await waitForEvent(agent, "support:conversation-updated", seen + 1)).at(-1);
    expect(read?.data).toMatchObject({ userId: customer, unreadForAgents: 0 });
  });

  it("gives a joining agent the conversations most recent first, in pages", async () => {
    const customers: string[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await conversation();
      const socket = await join(c.room, c.customerToken);
      await say(socket, `from ${i}`);
      customers.push(c.customer);
    }
    const agent = await join("support-agents", await tokenFor("agent-pages", ["admin"]));
    const first = (await waitForEvent(agent, "support:conversations"))[0]?.data as ConversationPage;
    const order = first.conversations.map((summary) => summary.userId);
    const ours = order.filter((id) => customers.includes(id));
    expect(ours).toEqual([...customers].reverse());
    // Cursors are unique and decreasing down the list, even for conversations updated within one millisecond.
    const cursors = first.conversations.map((summary) => summary.cursor);
    expect(cursors).toEqual([...cursors].sort((a, b) => b - a));
    expect(new Set(cursors).size).toBe(cursors.length);

    const page1 = (await request(agent, "support:conversations", { limit: 2 }, 1)).data as ConversationPage;
    expect(page1.conversations).toHaveLength(2);
    expect(page1.nextBefore).toBe(page1.conversations[1]?.cursor);
    const page2 = (await request(agent, "support:conversations", { before: page1.nextBefore, limit: 2 }, 2))
      .data as ConversationPage;
    expect(page2.conversations[0]?.userId).toBe(order[2]);
  });

  it("drops a conversation from the list when its room is deleted after 180 idle days, and tells the agents", async () => {
    const agent = await join("support-agents", await tokenFor("agent-removed", ["support"]));
    const { customer, room, customerToken } = await conversation();
    const ada = await join(room, customerToken);
    await say(ada, "Is the spa open?");
    ada.ws.close(1000);
    expect(await listed(customer)).toBe(true);

    await ageRoom(room, ROOM_KINDS.support.idleDays + 1);
    expect(await runDurableObjectAlarm(env.ROOMS.getByName(room))).toBe(true);
    const removal = () =>
      framesOf(agent, "support:conversation-removed").find(
        (frame) => (frame.data as { userId: string }).userId === customer,
      );
    await waitUntil(() => removal() !== undefined, 5_000, "support:conversation-removed");
    // An event of the agents' room, with its seq: an agent who was away gets it on resume.
    expect(removal()).toMatchObject({ room: "support-agents", data: { userId: customer }, seq: expect.any(Number) });
    expect(await listed(customer)).toBe(false);
    const later = await join("support-agents", await tokenFor("agent-later", ["support"]));
    const page = (await waitForEvent(later, "support:conversations"))[0]?.data as ConversationPage;
    expect(page.conversations.map((summary) => summary.userId)).not.toContain(customer);
  });

  it("tries the removal again a minute later when the agents' room could not take it", async () => {
    const { customer, room, customerToken } = await conversation();
    const ada = await join(room, customerToken);
    await say(ada, "Towels, please");
    ada.ws.close(1000);
    await ageRoom(room, ROOM_KINDS.support.idleDays + 1);
    const agents = env.ROOMS.getByName("support-agents");
    const rename = (from: string, to: string) =>
      runInDurableObject(agents, (_, state) => state.storage.sql.exec(`ALTER TABLE ${from} RENAME TO ${to}`));
    const support = env.ROOMS.getByName(room);
    await rename("conversations", "conversations_away");
    try {
      expect(await runDurableObjectAlarm(support)).toBe(true);
      const retryAt = await runInDurableObject(support, (_, state) => state.storage.getAlarm());
      expect(retryAt).toBeGreaterThan(Date.now() + 30_000);
      expect(retryAt).toBeLessThanOrEqual(Date.now() + 60_000);
    } finally {
      await rename("conversations_away", "conversations");
    }
    expect(await listed(customer)).toBe(true);
    expect(await runDurableObjectAlarm(support)).toBe(true);
    expect(await listed(customer)).toBe(false);
    expect(await runInDurableObject(support, (_, state) => state.storage.getAlarm())).toBeNull();
  });

  it("keeps a conversation that changed after its room's deletion time: the customer came back", async () => {
    const { customer, room, customerToken } = await conversation();
    const ada = await join(room, customerToken);
    const updatedAt = Date.parse(((await say(ada, "Back again")).data as ChatMessage).createdAt);
    const agents = env.ROOMS.getByName("support-agents");
    expect(await agents.runFeature("conversationRemoved", { userId: customer, at: updatedAt - 1 })).toBe(false);
    expect(await listed(customer)).toBe(true);
    expect(await agents.runFeature("conversationRemoved", { userId: customer, at: updatedAt })).toBe(true);
    expect(await listed(customer)).toBe(false);
  });

  it("refuses customers and kitchen staff from the agents' room", async () => {
    expect((await upgrade("support-agents", { token: await tokenFor(uniqueId()) })).status).toBe(403);
    expect((await upgrade("support-agents", { token: await tokenFor(uniqueId(), ["kitchen"]) })).status).toBe(403);
  });
});
