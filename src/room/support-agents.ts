/**
 * The agents' room (`support-agents`): the list of conversations, most recent first, kept in its
 * SQLite storage and updated by each support room; every update reaches the agents as
 * `support:conversation-updated`, and a joining agent gets the first page. A conversation whose
 * room was deleted after its idle lifetime leaves the list (`support:conversation-removed`).
 */
import {
  CHAT,
  type ConversationPage,
  type ConversationRemoved,
  type ConversationSummary,
  type ConversationUpdate,
} from "../protocol";
import { type PageQuery, pageBefore } from "./page-before";
import type { RoomFeature, RoomHost } from "./room-feature";

const CONVERSATIONS_PAGE: PageQuery = { table: "conversations", columns: "summary, updated_at", key: "updated_at" };

interface ConversationRow {
  summary: string;
  updated_at: number;
  [key: string]: SqlStorageValue;
}

export const supportAgents: RoomFeature = {
  migrate(storage) {
    storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS conversations (user_id TEXT PRIMARY KEY, summary TEXT NOT NULL, updated_at INTEGER NOT NULL UNIQUE)",
    );
  },

  onJoin(room, ws, _state, resumed) {
    if (!resumed)
      room.sendEphemeral("support:conversations", page(room, undefined, CHAT.conversationsPage), { only: [ws] });
  },

  handlers: {
    "support:conversations"(room, _ws, _state, { before, limit }) {
      return page(room, before, limit ?? CHAT.conversationsPage);
    },
  },

  rpc: {
    conversationUpdated(room, summary) {
      // updated_at (the cursor: ms, made unique and increasing) is an exact pagination cursor;
      // the summary's own updatedAt is the ISO time the app shows.
      const newest = room.storage.sql
        .exec<{ at: number | null }>("SELECT max(updated_at) AS at FROM conversations")
        .one().at;
      const cursor = Math.max(Date.parse(summary.updatedAt) || 0, (newest ?? 0) + 1);
      const stored: ConversationSummary = { ...summary, cursor };
      room.storage.sql.exec(
        "INSERT INTO conversations (user_id, summary, updated_at) VALUES (?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET summary = excluded.summary, updated_at = excluded.updated_at",
        summary.userId,
        JSON.stringify(summary),
        cursor,
      );
      room.publish("support:conversation-updated", stored);
      return cursor;
    },

    conversationRemoved(room, { userId, at }) {
      const row = room.storage.sql
        .exec<{ summary: string }>("SELECT summary FROM conversations WHERE user_id = ?", userId)
        .toArray()[0];
      // Updated after the room was deleted: a new conversation of the same customer, kept.
      if (!row || Date.parse((JSON.parse(row.summary) as ConversationUpdate).updatedAt) > at) return false;
      room.storage.sql.exec("DELETE FROM conversations WHERE user_id = ?", userId);
      const removed: ConversationRemoved = { userId };
      room.publish("support:conversation-removed", removed);
      return true;
    },
  },
};

function page(room: RoomHost, before: number | undefined, limit: number): ConversationPage {
  const { rows, hasMore } = pageBefore<ConversationRow>(room.storage.sql, CONVERSATIONS_PAGE, before, limit);
  const conversations = rows.map((row): ConversationSummary => {
    const summary = JSON.parse(row.summary) as ConversationUpdate;
    return { ...summary, cursor: row.updated_at };
  });
  const result: ConversationPage = { conversations };
  const last = rows.at(-1);
  if (hasMore && last) result.nextBefore = last.updated_at;
  return result;
}
