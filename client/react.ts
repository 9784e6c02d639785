/**
 * React bindings. One socket per app, handed down by `<RoomcastProvider>`; hooks join rooms for
 * as long as they are mounted. Handlers live in refs, so a re-render with a new handler function
 * neither leaves nor rejoins a room, and the socket's token refreshes never reach the hooks.
 */
import {
  createContext,
  createElement,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
} from "react";
import {
  CHAT,
  type ChatHistory,
  type ChatMessage,
  type ChatTyping,
  HISTORY,
  type LiveUser,
  type LiveUsersUpdate,
  type NewOrder,
  type Notification,
  type OrderStatusUpdated,
  PRESENCE,
} from "../src/protocol.js";
import { RoomcastError } from "./errors.js";
import type { AnyRoomListener, DisconnectReason, RoomAck, RoomEvent, RoomEventPayloads } from "./events.js";
import { randomId } from "./ids.js";
import type { RecoveryFailedInfo } from "./room-cursor.js";
import { type ConnectOptions, connect, type RoomcastSocket } from "./socket.js";
import type { AuthContext, AuthOption } from "./token.js";

const RoomcastContext = createContext<RoomcastSocket | null>(null);

/**
 * Makes a socket available to every roomcast hook below it.
 *
 * @example
 * function App() {
 *   const socket = useSocket("https://hub.example.com", { auth: getToken });
 *   return <RoomcastProvider socket={socket}><Kitchen /></RoomcastProvider>;
 * }
 */
export function RoomcastProvider(props: { socket: RoomcastSocket; children?: ReactNode }): ReactNode {
  return createElement(RoomcastContext.Provider, { value: props.socket }, props.children);
}

/**
 * The socket of the nearest `<RoomcastProvider>`.
 *
 * @example
 * const socket = useRoomcast();
 * const info = await socket.emitWithAck("room:info");
 */
export function useRoomcast(): RoomcastSocket {
  const socket = useContext(RoomcastContext);
  if (!socket) throw new Error("roomcast hooks need a <RoomcastProvider socket={...}> above them");
  return socket;
}

// Layout effects do not run on servers; the ref only matters in the browser anyway.
const useIsomorphicLayoutEffect = typeof document === "undefined" ? useEffect : useLayoutEffect;

/** A ref that always holds the latest value, updated before any event can reach it. */
function useLatest<T>(value: T): { readonly current: T } {
  const ref = useRef(value);
  useIsomorphicLayoutEffect(() => {
    ref.current = value;
  });
  return ref;
}

function tokenFrom(auth: AuthOption, context: AuthContext): string | Promise<string> {
  if (typeof auth === "function") return auth(context);
  return typeof auth === "string" ? auth : auth.token;
}

/**
 * Creates the app's socket, connects it while the component is mounted and disconnects it on
 * unmount. A new `url` makes a new socket; other options are read once, except `auth`, which is
 * always the latest one passed (so an inline arrow function does not reconnect anything).
 *
 * @example
 * const socket = useSocket(import.meta.env.VITE_HUB_URL, { auth: () => auth.currentToken() });
 */
export function useSocket(url: string, options: ConnectOptions): RoomcastSocket {
  const optionsRef = useLatest(options);
  const socket = useMemo(
    () =>
      connect(url, {
        ...optionsRef.current,
        auth: (context) => tokenFrom(optionsRef.current.auth, context),
        autoConnect: false,
      }),
    [url, optionsRef],
  );
  useEffect(() => {
    socket.connect();
    return () => {
      socket.disconnect();
    };
  }, [socket]);
  return socket;
}

/**
 * Whether the socket's personal room is joined; re-renders on every change.
 *
 * @example
 * const online = useConnected();
 * return online ? null : <Banner>Reconnecting…</Banner>;
 */
export function useConnected(): boolean {
  const socket = useRoomcast();
  const subscribe = useCallback(
    (onChange: () => void) => {
      socket.on("connect", onChange);
      socket.on("disconnect", onChange);
      return () => {
        socket.off("connect", onChange);
        socket.off("disconnect", onChange);
      };
    },
    [socket],
  );
  return useSyncExternalStore(
    subscribe,
    () => socket.connected,
    () => false,
  );
}

/**
 * Handlers of room events, by event name: `(data, room)`.
 *
 * @example
 * const handlers: RoomHandlers = { notification: (data) => toast(data.title) };
 * useRoom("pool-staff", handlers);
 */
export type RoomHandlers = { [E in RoomEvent]?: ((data: RoomEventPayloads[E], room: string) => void) | undefined };

/**
 * Called when a room rejoined without its missed events (`recovery_failed`): refetch what the
 * component shows, e.g. over REST. Rejoins that recovered (the usual case) never call it.
 *
 * @example
 * const onRecoveryFailed: RecoveryFailedHandler = (info, room) => void refetchOrder(orderId);
 */
export type RecoveryFailedHandler = (info: RecoveryFailedInfo, room: string) => void;

/**
 * Options of the room hooks.
 *
 * @example
 * useOrderUpdates(orderId, onUpdate, { onRecoveryFailed: () => refetchOrder(orderId) } satisfies RoomOptions);
 */
export interface RoomOptions {
  /** The room rejoined but events may have been lost: refetch its state. */
  onRecoveryFailed?: RecoveryFailedHandler | undefined;
}

/**
 * A room hook's view of its room.
 *
 * @example
 * const { joined, error }: RoomStatus = useOrderUpdates(id, onUpdate);
 * if (error?.code === "forbidden") return <NoAccess />;
 */
export interface RoomStatus {
  /** The room's socket is joined right now. */
  joined: boolean;
  /** Why the room is not joined and will not be: refused, revoked, or given up. */
  error: RoomcastError | null;
}

const NOT_JOINED: RoomStatus = { joined: false, error: null };

// Several components may want the same room: the room is left when the last of them unmounts.
const leases = new WeakMap<RoomcastSocket, Map<string, number>>();

function acquireRoom(socket: RoomcastSocket, room: string, ack: RoomAck): () => void {
  let counts = leases.get(socket);
  if (!counts) {
    counts = new Map();
    leases.set(socket, counts);
  }
  counts.set(room, (counts.get(room) ?? 0) + 1);
  socket.emit("join-room", room, ack);
  let released = false;
  return () => {
    if (released || !counts) return;
    released = true;
    const remaining = (counts.get(room) ?? 1) - 1;
    if (remaining > 0) {
      counts.set(room, remaining);
      return;
    }
    counts.delete(room);
    socket.emit("leave-room", room);
  };
}

/**
 * Joins `room` while mounted (a null room joins nothing) and calls the handler of each event
 * received in that room. Changing `room` leaves the old one and joins the new one. Rejoins after
 * drops resume where the room left off; `onRecoveryFailed` is called when one could not.
 *
 * @example
 * const { joined, error } = useRoom("pool-staff", {
 *   notification: (data) => toast(data.title),
 * }, { onRecoveryFailed: () => refetchPoolTasks() });
 */
export function useRoom(
  room: string | null | undefined,
  handlers: RoomHandlers = {},
  options: RoomOptions = {},
): RoomStatus {
  const socket = useRoomcast();
  const handlersRef = useLatest(handlers);
  const optionsRef = useLatest(options);
  const [status, setStatus] = useState<{ room: string | null | undefined; value: RoomStatus }>({
    room,
    value: NOT_JOINED,
  });

  useEffect(() => {
    if (!room) return;
    const update = (value: RoomStatus) => setStatus({ room, value });
    update({ joined: socket.roomState(room) === "joined", error: null });
    const onEvent: AnyRoomListener = (event, data, from) => {
      if (from !== room) return;
      const handler = handlersRef.current[event as RoomEvent] as ((data: unknown, room: string) => void) | undefined;
      handler?.(data, from);
    };
    const onConnect = (joined: string) => {
      if (joined === room) update({ joined: true, error: null });
    };
    const onDisconnect = (reason: DisconnectReason, left: string) => {
      if (left !== room) return;
      const revoked = reason === "access_revoked";
      const error = revoked ? new RoomcastError("access_revoked", `access to ${room} was revoked`, { room }) : null;
      update({ joined: false, error });
    };
    const onGiveUp = (error: RoomcastError) => {
      if (error.room === room && !error.willRetry) update({ joined: false, error });
    };
    const onRecoveryFailed = (info: RecoveryFailedInfo, from: string) => {
      if (from === room) optionsRef.current.onRecoveryFailed?.(info, from);
    };
    socket.onAny(onEvent);
    socket.on("connect", onConnect);
    socket.on("disconnect", onDisconnect);
    socket.on("connect_error", onGiveUp);
    socket.on("reconnect_failed", onGiveUp);
    socket.on("recovery_failed", onRecoveryFailed);
    const release = acquireRoom(socket, room, (ok, error) => {
      if (!ok && error) update({ joined: false, error });
    });
    return () => {
      socket.offAny(onEvent);
      socket.off("connect", onConnect);
      socket.off("disconnect", onDisconnect);
      socket.off("connect_error", onGiveUp);
      socket.off("reconnect_failed", onGiveUp);
      socket.off("recovery_failed", onRecoveryFailed);
      release();
    };
  }, [socket, room, handlersRef, optionsRef]);

  // A status left over from the previous room is not this room's.
  return status.room === room && room ? status.value : NOT_JOINED;
}

/**
 * Follows one order: joins `order-{orderId}` and calls `onUpdate` for each `order-status-updated`.
 * The user needs a staff role or a backend grant for that order.
 *
 * @example
 * useOrderUpdates(order.id, (update) => setStatus(update.status), {
 *   onRecoveryFailed: () => api.getOrder(order.id).then((fresh) => setStatus(fresh.status)),
 * });
 */
export function useOrderUpdates(
  orderId: string | number | null | undefined,
  onUpdate: (update: OrderStatusUpdated, room: string) => void,
  options: RoomOptions = {},
): RoomStatus {
  const room = orderId === null || orderId === undefined || orderId === "" ? null : `order-${orderId}`;
  return useRoom(room, { "order-status-updated": onUpdate }, options);
}

/**
 * The kitchen screen: joins `restaurant-kitchen` for new orders and status changes.
 *
 * @example
 * useRestaurantOrders(
 *   (order) => setOrders((orders) => [...orders, order]),
 *   (update) => setOrders((orders) => withStatus(orders, update)),
 *   { onRecoveryFailed: () => api.openOrders().then(setOrders) },
 * );
 */
export function useRestaurantOrders(
  onNewOrder: (order: NewOrder, room: string) => void,
  onStatusUpdate?: (update: OrderStatusUpdated, room: string) => void,
  options: RoomOptions = {},
): RoomStatus {
  return useRoom("restaurant-kitchen", { "new-order": onNewOrder, "order-status-updated": onStatusUpdate }, options);
}

/**
 * What `useNotifications` returns.
 *
 * @example
 * const { markRead }: Notifications = useNotifications(show);
 */
export interface Notifications {
  /**
   * Marks notifications of the personal room read (`notification:read`, in calls of up to 100
   * ids), so that they are not delivered again on the next connect. Resolves with how many were
   * unread until now.
   */
  markRead(ids: string | readonly string[]): Promise<number>;
}

/** Notification keys a `useNotifications` remembers, to drop redeliveries. */
const REMEMBERED_NOTIFICATIONS = 1_000;

/**
 * Calls `onNotification` for every `notification`, from the personal room (joined by the socket
 * itself) and from any other room the app joined. Unread notifications of the personal room
 * arrive on connect, oldest first, until `markRead` marks them read; one this hook already
 * delivered (same room and id) is not delivered again. `onRecoveryFailed` is called when a
 * room rejoined without its missed events (any room: notifications may come from any).
 *
 * @example
 * const { markRead } = useNotifications((notification) => {
 *   toast(notification.title, notification.body, { onClose: () => markRead(notification.id ?? []) });
 * });
 */
export function useNotifications(
  onNotification: (notification: Notification, room: string) => void,
  options: RoomOptions = {},
): Notifications {
  const socket = useRoomcast();
  const handlerRef = useLatest(onNotification);
  const optionsRef = useLatest(options);
  useEffect(() => {
    const seen = new Set<string>();
    const listener = (data: Notification, room: string) => {
      if (typeof data?.id === "string") {
        const key = `${room}\u0000${data.id}`;
        if (seen.has(key)) return;
        seen.add(key);
        if (seen.size > REMEMBERED_NOTIFICATIONS) seen.delete(seen.values().next().value as string);
      }
      handlerRef.current(data, room);
    };
    const onRecoveryFailed = (info: RecoveryFailedInfo, room: string) =>
      optionsRef.current.onRecoveryFailed?.(info, room);
    socket.on("notification", listener);
    socket.on("recovery_failed", onRecoveryFailed);
    return () => {
      socket.off("notification", listener);
      socket.off("recovery_failed", onRecoveryFailed);
    };
  }, [socket, handlerRef, optionsRef]);

  const markRead = useCallback(
    async (ids: string | readonly string[]) => {
      const list = [...new Set(typeof ids === "string" ? [ids] : ids)];
      let read = 0;
      for (let start = 0; start < list.length; start += HISTORY.maxNotifications) {
        const chunk = list.slice(start, start + HISTORY.maxNotifications);
        read += (await socket.emitWithAck("notification:read", { ids: chunk })).read;
      }
      return read;
    },
    [socket],
  );
  return useMemo(() => ({ markRead }), [markRead]);
}

/**
 * Tells presence which page this tab shows: sends `page:navigate { path }` on the personal room
 * now and after every reconnect (each connection reports its own page). Admins see it in
 * `useLiveUsers`. A null path sends nothing.
 *
 * @example
 * const location = useLocation();
 * usePagePresence(location.pathname);
 */
export function usePagePresence(path: string | null | undefined): void {
  const socket = useRoomcast();
  useEffect(() => {
    if (!path) return;
    const navigate = () => socket.emit("page:navigate", { path: path.slice(0, PRESENCE.maxPathLength) });
    const onConnect = (room: string) => {
      if (room === socket.personalRoom) navigate();
    };
    if (socket.connected) navigate();
    socket.on("connect", onConnect);
    return () => {
      socket.off("connect", onConnect);
    };
  }, [socket, path]);
}

/**
 * What `useLiveUsers` returns: the last `live-users-update` (`users`, `total`, `connections`,
 * `byRole`, `truncated`), when it came, and the room's status.
 *
 * @example
 * const { users, total, byRole, truncated }: LiveUsers = useLiveUsers();
 */
export interface LiveUsers extends RoomStatus, LiveUsersUpdate {
  /** When the last update arrived (ms since the epoch); null before the first. */
  receivedAt: number | null;
}

const NO_USERS: LiveUser[] = [];
const NO_ROLES: Record<string, number> = {};

/**
 * Who is online, for the admin dashboard: joins `admin-dashboard` and keeps the last
 * `live-users-update` (also while reconnecting). Every join brings a fresh list, so a rejoin
 * needs no recovery. Needs the `admin` role.
 *
 * @example
 * const { users, total, truncated } = useLiveUsers();
 * return <p>{total} online{truncated ? " (most recent shown)" : ""}: {users.map((u) => u.name ?? u.userId).join(", ")}</p>;
 */
export function useLiveUsers(): LiveUsers {
  const [last, setLast] = useState<(LiveUsersUpdate & { receivedAt: number }) | null>(null);
  const status = useRoom("admin-dashboard", {
    "live-users-update": (data) => {
      if (!data || !Array.isArray(data.users)) return;
      setLast({ ...data, receivedAt: Date.now() });
    },
  });
  return {
    ...status,
    users: last?.users ?? NO_USERS,
    total: last?.total ?? 0,
    connections: last?.connections ?? 0,
    byRole: last?.byRole ?? NO_ROLES,
    truncated: last?.truncated ?? false,
    receivedAt: last?.receivedAt ?? null,
  };
}

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
