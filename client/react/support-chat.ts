/**
 * The support chat hook: one customer's conversation (`support-{userId}`), its history, typing
 * indicators, sending with retries and read positions.
 */
import { useCallback, useEffect, useMemo, useState } from "react";
import { CHAT, type ChatHistory, type ChatMessage, type ChatTyping } from "../../src/protocol.js";
import { RoomcastError } from "../errors.js";
import { randomId } from "../ids.js";
import { type RoomOptions, type RoomStatus, useLatest, useRoom, useRoomcast } from "./bindings.js";

/**
 * Someone else typing in a support chat.
 *
 * @example
 * const label = (typing: TypingUser[]) => typing.map((user) => user.name ?? user.userId).join(", ");
 */
export interface TypingUser {
  userId: string;
  name?: string;
}

/**
 * Options of `useSupportChat`.
 *
 * @example
 * useSupportChat(userId, { typingTimeoutMs: 5_000, onRecoveryFailed: () => console.info("history reloaded") });
 */
export interface SupportChatOptions extends RoomOptions {
  /** A typing indicator without news for this long is dropped (a tab closed mid-sentence). Default 6000 ms. */
  typingTimeoutMs?: number;
}

/**
 * What `useSupportChat` returns.
 *
 * @example
 * const { messages, hasMore, loadOlder, typing, send, setTyping, markRead }: SupportChat = useSupportChat(userId);
 */
export interface SupportChat extends RoomStatus {
  /** `support-{userId}`, or null when no user is given. */
  room: string | null;
  /** The conversation's messages known so far, oldest first (by seq), each once. */
  messages: ChatMessage[];
  /** Older messages exist than the first of `messages`: `loadOlder()` fetches them. */
  hasMore: boolean;
  /** The latest messages arrived (the hub sends them on join). */
  loaded: boolean;
  /** Others typing right now (you are never listed). */
  typing: TypingUser[];
  /**
   * Sends a message and resolves with it once the hub stored it (it is then in `messages`). A
   * send whose socket drops or times out is retried with the same `clientMessageId`, which the
   * hub stores once; to retry later yourself, pass the same `clientMessageId` again.
   */
  send(text: string, options?: { clientMessageId?: string }): Promise<ChatMessage>;
  /** Fetches the page before the oldest message; resolves with whether even older ones exist. */
  loadOlder(limit?: number): Promise<boolean>;
  /** Tells the others whether you are typing; call it on keystrokes (the hub forwards two hints a second at most). */
  setTyping(typing: boolean): void;
  /** Records how far you have read (default: the newest message); resolves with the seq the hub recorded. */
  markRead(seq?: number): Promise<number>;
}

const DEFAULT_TYPING_TIMEOUT_MS = 6_000;
const SEND_ATTEMPTS = 3;
/** Errors after which the message may or may not be stored: resending the same clientMessageId is safe. */
const RETRY_SEND = new Set(["disconnected", "timeout", "rate_limited", "internal_error"]);

interface ChatState {
  room: string | null;
  messages: ChatMessage[];
  hasMore: boolean;
  loaded: boolean;
  /** userId → who, and when the indicator expires. */
  typing: Record<string, { name?: string; until: number }>;
}

const emptyChat = (room: string | null): ChatState => ({
  room,
  messages: [],
  hasMore: false,
  loaded: false,
  typing: {},
});

/** Messages of both lists, once each (by id), ordered by seq. */
function mergeMessages(known: readonly ChatMessage[], incoming: readonly ChatMessage[]): ChatMessage[] {
  const usable = incoming.filter((message) => typeof message?.id === "string" && typeof message.seq === "number");
  if (usable.length === 0) return known as ChatMessage[];
  const byId = new Map(known.map((message) => [message.id, message]));
  for (const message of usable) byId.set(message.id, message);
  return [...byId.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * The support chat of one customer: joins `support-{userId}` (the customer themself, or an agent
 * with the `support` or `admin` role). The hub sends the latest messages on join; rejoins after
 * a drop resume, and a rejoin that could not resume gets the latest messages again, which then
 * replace the list.
 *
 * @example
 * const chat = useSupportChat(user.id);
 * <ChatLog
 *   messages={chat.messages}
 *   typing={chat.typing}
 *   onScrollTop={() => chat.hasMore && chat.loadOlder()}
 *   onSend={(text) => chat.send(text)}
 *   onType={() => chat.setTyping(true)}
 *   onSeen={() => chat.markRead()}
 * />
 */
export function useSupportChat(userId: string | null | undefined, options: SupportChatOptions = {}): SupportChat {
  const socket = useRoomcast();
  const room = userId ? `support-${userId}` : null;
  const typingTimeoutMs = options.typingTimeoutMs ?? DEFAULT_TYPING_TIMEOUT_MS;
  const [state, setState] = useState<ChatState>(() => emptyChat(room));
  const current = state.room === room ? state : emptyChat(room);
  const currentRef = useLatest(current);

  const change = useCallback(
    (apply: (current: ChatState) => ChatState) =>
      setState((previous) => apply(previous.room === room ? previous : emptyChat(room))),
    [room],
  );

  const snapshot = useCallback(
    (history: ChatHistory) => {
      if (!history || !Array.isArray(history.messages)) return;
      change((chat) => ({
        ...chat,
        messages: mergeMessages([], history.messages),
        hasMore: history.hasMore === true,
        loaded: true,
      }));
    },
    [change],
  );

  const addMessages = useCallback(
    (messages: ChatMessage[]) =>
      change((chat) => {
        const typing = { ...chat.typing };
        for (const message of messages) delete typing[message.author?.id];
        return { ...chat, messages: mergeMessages(chat.messages, messages), typing };
      }),
    [change],
  );

  const status = useRoom(
    room,
    {
      // Sent by the hub on every join that did not resume (and so after a failed recovery too).
      "chat:history": snapshot,
      "chat:message": (message) => addMessages([message]),
      "chat:typing": (news: ChatTyping) => {
        if (!news || typeof news.userId !== "string" || news.userId === socket.userId) return;
        change((chat) => {
          const { [news.userId]: _old, ...typing } = chat.typing;
          if (!news.typing) return { ...chat, typing };
          const entry =
            news.name === undefined
              ? { until: Date.now() + typingTimeoutMs }
              : { name: news.name, until: Date.now() + typingTimeoutMs };
          return { ...chat, typing: { ...typing, [news.userId]: entry } };
        });
      },
    },
    options,
  );

  // Another component had the room joined already: the hub's join snapshot went to it, so ask.
  useEffect(() => {
    if (!room || socket.roomState(room) !== "joined") return;
    let stale = false;
    socket
      .to(room)
      .emitWithAck("chat:history", {})
      .then((history) => {
        if (!stale && !currentRef.current.loaded) snapshot(history);
      })
      .catch(() => {});
    return () => {
      stale = true;
    };
  }, [socket, room, snapshot, currentRef]);

  const typingExpiries = current.typing;
  useEffect(() => {
    const expiries = Object.values(typingExpiries).map((entry) => entry.until);
    if (expiries.length === 0) return;
    const timer = setTimeout(
      () => {
        const now = Date.now();
        change((chat) => ({
          ...chat,
          typing: Object.fromEntries(Object.entries(chat.typing).filter(([, entry]) => entry.until > now)),
        }));
      },
      Math.max(0, Math.min(...expiries) - Date.now()),
    );
    return () => clearTimeout(timer);
  }, [typingExpiries, change]);

  const send = useCallback(
    async (text: string, sendOptions: { clientMessageId?: string } = {}) => {
      if (!room) throw new RoomcastError("not_joined", "no support chat is open: pass a userId");
      // One id for every attempt: the hub stores a repeated clientMessageId once.
      const clientMessageId = sendOptions.clientMessageId ?? randomId();
      for (let attempt = 1; ; attempt++) {
        try {
          const stored = await socket.to(room).emitWithAck("chat:message", { text, clientMessageId });
          addMessages([stored]);
          return stored;
        } catch (error) {
          const retry = error instanceof RoomcastError && RETRY_SEND.has(error.code) && attempt < SEND_ATTEMPTS;
          if (!retry) throw error;
          // A dropped socket queues the resend until the room is back; a rate limit needs a pause.
          await new Promise((done) => setTimeout(done, error.code === "rate_limited" ? 1_000 : 100));
        }
      }
    },
    [socket, room, addMessages],
  );

  const loadOlder = useCallback(
    async (limit: number = CHAT.historyPage) => {
      if (!room) return false;
      const oldest = currentRef.current.messages[0]?.seq;
      const page = await socket
        .to(room)
        .emitWithAck("chat:history", oldest === undefined ? { limit } : { before: oldest, limit });
      change((chat) => ({
        ...chat,
        messages: mergeMessages(chat.messages, page.messages),
        hasMore: page.hasMore === true,
        loaded: true,
      }));
      return page.hasMore === true;
    },
    [socket, room, change, currentRef],
  );

  const setTyping = useCallback(
    (typing: boolean) => {
      if (room) socket.to(room).emit("chat:typing", { typing });
    },
    [socket, room],
  );

  const markRead = useCallback(
    async (seq?: number) => {
      if (!room) throw new RoomcastError("not_joined", "no support chat is open: pass a userId");
      const upTo = seq ?? currentRef.current.messages.at(-1)?.seq ?? 0;
      return (await socket.to(room).emitWithAck("chat:read", { seq: upTo })).seq;
    },
    [socket, room, currentRef],
  );

  const typing = useMemo(
    () =>
      Object.entries(typingExpiries).map(
        ([id, entry]): TypingUser => (entry.name === undefined ? { userId: id } : { userId: id, name: entry.name }),
      ),
    [typingExpiries],
  );

  return {
    ...status,
    room,
    messages: current.messages,
    hasMore: current.hasMore,
    loaded: current.loaded,
    typing,
    send,
    loadOlder,
    setTyping,
    markRead,
  };
}
