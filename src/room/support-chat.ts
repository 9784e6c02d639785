/**
 * The support conversation of one customer (`support-{userId}`): messages stored in the room's
 * SQLite storage and numbered by the room's sequence, history paging, typing, read positions,
 * and a summary pushed to `support-agents` on every message and agent read.
 */
import { log } from "../ops/log";
import {
  CHAT,
  type ChatAuthor,
  type ChatHistory,
  type ChatMessage,
  type ConversationUpdate,
  ErrorCode,
} from "../protocol";
import { type PageQuery, pageBefore } from "./page-before";
import { FrameError, type RoomFeature, type RoomHost } from "./room-feature";
import { type SocketState, writeState } from "./socket-state";
import { UserRate } from "./user-rate";

/** A typing frame is passed on at most this often per socket (a stop always goes through). */
const TYPING_INTERVAL_MS = 500;
/** How often, in messages, the per-conversation cap is enforced. */
const CAP_CHECK_EVERY = 500;
const MESSAGES_PAGE: PageQuery = { table: "messages", columns: "*", key: "seq" };

/** Each support room's chat budget, per user (several tabs of one customer share one). */
const chatRates = new WeakMap<RoomHost, UserRate>();

function chatRateOf(room: RoomHost): UserRate {
  let rate = chatRates.get(room);
  if (!rate) {
    rate = new UserRate(CHAT.maxMessagesPerSecond);
    chatRates.set(room, rate);
  }
  return rate;
}

interface MessageRow {
  seq: number;
  id: string;
  client_message_id: string;
  author_id: string;
  author_name: string | null;
  author_role: ChatAuthor["role"];
  text: string;
  created_at: number;
  [key: string]: SqlStorageValue;
}

export const supportChat: RoomFeature = {
  migrate(storage) {
    storage.sql.exec(`CREATE TABLE IF NOT EXISTS messages (
      seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, client_message_id TEXT NOT NULL,
      author_id TEXT NOT NULL, author_name TEXT, author_role TEXT NOT NULL, text TEXT NOT NULL,
      created_at INTEGER NOT NULL, UNIQUE (author_id, client_message_id))`);
    storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS chat_reads (user_id TEXT PRIMARY KEY, role TEXT NOT NULL, seq INTEGER NOT NULL)",
    );
  },

  // The conversation's messages are gone: so is its line in the agents' list.
  async afterDelete(room, at) {
    await room.callRoom("support-agents", "conversationRemoved", { userId: customerOf(room), at });
  },

  onJoin(room, ws, state, resumed) {
    if (authorOf(room, state).role === "customer" && state.name) room.storage.kv.put("customerName", state.name);
    // A resumed client got the messages it missed in the replay.
    if (!resumed) room.sendEphemeral("chat:history", historyPage(room, undefined, CHAT.historyPage), { only: [ws] });
  },

  handlers: {
    async "chat:message"(room, _ws, state, { text, clientMessageId }) {
      const author = authorOf(room, state);
      const existing = room.storage.sql
        .exec<MessageRow>(
          "SELECT * FROM messages WHERE author_id = ? AND client_message_id = ?",
          author.id,
          clientMessageId,
        )
        .toArray()[0];
      if (existing) return toMessage(room, existing);
      if (!chatRateOf(room).take(state.userId, Date.now())) {
        throw new FrameError(
          ErrorCode.rateLimited,
          `at most ${CHAT.maxMessagesPerSecond} messages per second per user`,
        );
      }
      if (author.role === "customer" && author.name) room.storage.kv.put("customerName", author.name);
      // publish() gives the event the next seq; the message carries the same number.
      const now = Date.now();
      const message: ChatMessage = {
        id: crypto.randomUUID(),
        seq: room.history.seq + 1,
        room: room.name,
        text,
        clientMessageId,
        author,
        createdAt: new Date(now).toISOString(),
      };
      room.storage.sql.exec(
        "INSERT INTO messages (seq, id, client_message_id, author_id, author_name, author_role, text, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        message.seq,
        message.id,
        clientMessageId,
        author.id,
        author.name ?? null,
        author.role,
        text,
        now,
      );
      room.publish("chat:message", message);
      // The backend hears of customers' messages (to page an agent, say).
      if (author.role === "customer") room.notifyBackend("chat.message", { message });
      if (message.seq % CAP_CHECK_EVERY === 0) enforceCap(room);
      await reportToAgents(room, message);
      return message;
    },

    "chat:history"(room, _ws, _state, { before, limit }) {
      return historyPage(room, before, limit ?? CHAT.historyPage);
    },

    "chat:typing"(room, ws, state, { typing }) {
      const now = Date.now();
      if (typing && now - (state.lastTypingAt ?? 0) < TYPING_INTERVAL_MS) return { typing };
      state.lastTypingAt = now;
      writeState(ws, state);
      room.sendEphemeral("chat:typing", { userId: state.userId, name: state.name, typing }, { except: ws });
      return { typing };
    },

    async "chat:read"(room, _ws, state, { seq }) {
      const author = authorOf(room, state);
      const newest =
        room.storage.sql.exec<{ seq: number | null }>("SELECT max(seq) AS seq FROM messages").one().seq ?? 0;
      const upTo = Math.min(seq, newest);
      room.storage.sql.exec(
        "INSERT INTO chat_reads (user_id, role, seq) VALUES (?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET seq = max(seq, excluded.seq), role = excluded.role",
        author.id,
        author.role,
        upTo,
      );
      if (author.role !== "customer") {
        const last = lastMessage(room);
        if (last) await reportToAgents(room, last);
      }
      return { seq: upTo };
    },
  },
};

function authorOf(room: RoomHost, state: SocketState): ChatAuthor {
  const owner = room.name.slice("support-".length);
  const role: ChatAuthor["role"] =
    state.userId === owner ? "customer" : state.roles.includes("support") ? "support" : "admin";
  return state.name ? { id: state.userId, name: state.name, role } : { id: state.userId, role };
}

function toMessage(room: RoomHost, row: MessageRow): ChatMessage {
  const author: ChatAuthor = row.author_name
    ? { id: row.author_id, name: row.author_name, role: row.author_role }
    : { id: row.author_id, role: row.author_role };
  return {
    id: row.id,
    seq: row.seq,
    room: room.name,
    text: row.text,
    clientMessageId: row.client_message_id,
    author,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

function historyPage(room: RoomHost, before: number | undefined, limit: number): ChatHistory {
  const { rows, hasMore } = pageBefore<MessageRow>(room.storage.sql, MESSAGES_PAGE, before, limit);
  return { messages: rows.reverse().map((row) => toMessage(room, row)), hasMore };
}

function lastMessage(room: RoomHost): ChatMessage | null {
  const row = room.storage.sql.exec<MessageRow>("SELECT * FROM messages ORDER BY seq DESC LIMIT 1").toArray()[0];
  return row ? toMessage(room, row) : null;
}

function unreadForAgents(room: RoomHost): number {
  return room.storage.sql
    .exec<{ n: number }>(
      `SELECT count(*) AS n FROM messages WHERE author_role = 'customer'
       AND seq > (SELECT coalesce(max(seq), 0) FROM chat_reads WHERE role != 'customer')`,
    )
    .one().n;
}

/** Keeps at most CHAT.maxMessagesPerConversation messages: the oldest go first. */
function enforceCap(room: RoomHost): void {
  room.storage.sql.exec(
    "DELETE FROM messages WHERE seq <= (SELECT seq FROM messages ORDER BY seq DESC LIMIT 1 OFFSET ?)",
    CHAT.maxMessagesPerConversation,
  );
}

/** The customer whose conversation this is: `support-{userId}`. */
function customerOf(room: RoomHost): string {
  return room.name.slice("support-".length);
}

/** Pushes this conversation's summary to the agents' room; a failure never loses the message. */
async function reportToAgents(room: RoomHost, last: ChatMessage): Promise<void> {
  const summary: ConversationUpdate = {
    userId: customerOf(room),
    lastMessage: last,
    unreadForAgents: unreadForAgents(room),
    updatedAt: last.createdAt,
  };
  const customerName = room.storage.kv.get("customerName") as string | undefined;
  if (customerName) summary.customerName = customerName;
  try {
    await room.callRoom("support-agents", "conversationUpdated", summary);
  } catch (error) {
    log.error({ event: "chat.agents_update_failed", where: "support-chat", kind: room.kind, error });
  }
}
