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
import type { NewOrder, Notification, OrderStatusUpdated } from "../src/protocol";
import { RoomcastError } from "./errors";
import type { AnyRoomListener, DisconnectReason, RoomAck, RoomEvent, RoomEventPayloads } from "./events";
import {
  type LiveUserInfo,
  readChatHistory,
  readChatMessage,
  readChatTyping,
  readLiveUsers,
  type SupportChatMessage,
} from "./pending-payloads";
import { type ConnectOptions, connect, type RoomcastSocket } from "./socket";
import type { AuthContext, AuthOption } from "./token";

export type { LiveUserInfo, SupportChatMessage } from "./pending-payloads";

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
 * received in that room. Changing `room` leaves the old one and joins the new one.
 *
 * @example
 * const { joined, error } = useRoom("pool-staff", {
 *   notification: (data) => toast(data.title),
 * });
 */
export function useRoom(room: string | null | undefined, handlers: RoomHandlers = {}): RoomStatus {
  const socket = useRoomcast();
  const handlersRef = useLatest(handlers);
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
    socket.onAny(onEvent);
    socket.on("connect", onConnect);
    socket.on("disconnect", onDisconnect);
    socket.on("connect_error", onGiveUp);
    socket.on("reconnect_failed", onGiveUp);
    const release = acquireRoom(socket, room, (ok, error) => {
      if (!ok && error) update({ joined: false, error });
    });
    return () => {
      socket.offAny(onEvent);
      socket.off("connect", onConnect);
      socket.off("disconnect", onDisconnect);
      socket.off("connect_error", onGiveUp);
      socket.off("reconnect_failed", onGiveUp);
      release();
    };
  }, [socket, room, handlersRef]);

  // A status left over from the previous room is not this room's.
  return status.room === room && room ? status.value : NOT_JOINED;
}

/**
 * Follows one order: joins `order-{orderId}` and calls `onUpdate` for each `order-status-updated`.
 * The user needs a staff role or a backend grant for that order.
 *
 * @example
 * useOrderUpdates(order.id, (update) => setStatus(update.status));
 */
export function useOrderUpdates(
  orderId: string | number | null | undefined,
  onUpdate: (update: OrderStatusUpdated, room: string) => void,
): RoomStatus {
  const room = orderId === null || orderId === undefined || orderId === "" ? null : `order-${orderId}`;
  return useRoom(room, { "order-status-updated": onUpdate });
}

/**
 * The kitchen screen: joins `restaurant-kitchen` for new orders and status changes.
 *
 * @example
 * useRestaurantOrders(
 *   (order) => setOrders((orders) => [...orders, order]),
 *   (update) => setOrders((orders) => withStatus(orders, update)),
 * );
 */
export function useRestaurantOrders(
  onNewOrder: (order: NewOrder, room: string) => void,
  onStatusUpdate?: (update: OrderStatusUpdated, room: string) => void,
): RoomStatus {
  return useRoom("restaurant-kitchen", { "new-order": onNewOrder, "order-status-updated": onStatusUpdate });
}

/**
 * Calls `onNotification` for every `notification`, from the personal room (joined by the socket
 * itself) and from any other room the app joined.
 *
 * @example
 * useNotifications((notification) => toast(notification.title, notification.body));
 */
export function useNotifications(onNotification: (notification: Notification, room: string) => void): void {
  const socket = useRoomcast();
  const handlerRef = useLatest(onNotification);
  useEffect(() => {
    const listener = (data: Notification, room: string) => handlerRef.current(data, room);
    socket.on("notification", listener);
    return () => {
      socket.off("notification", listener);
    };
  }, [socket, handlerRef]);
}

/**
 * What `useLiveUsers` returns.
 *
 * @example
 * const { users, total, truncated }: LiveUsers = useLiveUsers();
 */
export interface LiveUsers extends RoomStatus {
  /** The most recently active users (the hub may list fewer than `total`). */
  users: LiveUserInfo[];
  /** Users online, listed or not. */
  total: number;
  truncated: boolean;
  /** When the last update arrived (ms since the epoch); null before the first. */
  receivedAt: number | null;
}

const NO_USERS: LiveUserInfo[] = [];

/**
 * Who is online, for the admin dashboard: joins `admin-dashboard` and keeps the last
 * `live-users-update` (also while reconnecting). Needs the `admin` role.
 *
 * @example
 * const { users, total } = useLiveUsers();
 * return <p>{total} online: {users.map((u) => u.name ?? u.userId).join(", ")}</p>;
 */
export function useLiveUsers(): LiveUsers {
  const [last, setLast] = useState<{
    users: LiveUserInfo[];
    total: number;
    truncated: boolean;
    receivedAt: number;
  } | null>(null);
  const status = useRoom("admin-dashboard", {
    "live-users-update": (data) => {
      const snapshot = readLiveUsers(data);
      if (snapshot) setLast({ ...snapshot, receivedAt: Date.now() });
    },
  });
  return {
    ...status,
    users: last?.users ?? NO_USERS,
    total: last?.total ?? 0,
    truncated: last?.truncated ?? false,
    receivedAt: last?.receivedAt ?? null,
  };
}

/**
 * What `useSupportChat` returns.
 *
 * @example
 * const { messages, typing, send, setTyping }: SupportChat = useSupportChat(userId);
 */
export interface SupportChat extends RoomStatus {
  /** `support-{userId}`, or null when no user is given. */
  room: string | null;
  /** History first, then messages in arrival order, each once (by id). */
  messages: SupportChatMessage[];
  /** Users typing right now (entries expire after a few seconds without news). */
  typing: string[];
  /** Sends a message; resolves when the hub stored it (it is then in `messages`), rejects with a RoomcastError. */
  send(text: string): Promise<void>;
  /** Tells the room whether this user is typing. */
  setTyping(typing: boolean): void;
}

const TYPING_TTL_MS = 8_000;

interface ChatState {
  room: string | null;
  messages: SupportChatMessage[];
  /** userId → when its typing indicator expires. */
  typing: Record<string, number>;
}

/**
 * The support chat of one user: joins `support-{userId}` (the user themself, or an agent with the
 * `support` role). Payloads are read defensively (pending-payloads.ts), whether or not the
 * protocol in use defines the chat events yet.
 *
 * @example
 * const chat = useSupportChat(user.id);
 * <ChatLog messages={chat.messages} typing={chat.typing} onSend={chat.send} onType={chat.setTyping} />
 */
export function useSupportChat(userId: string | null | undefined): SupportChat {
  const socket = useRoomcast();
  const room = userId ? `support-${userId}` : null;
  const [state, setState] = useState<ChatState>({ room, messages: [], typing: {} });

  const change = useCallback(
    (apply: (current: ChatState) => ChatState) =>
      setState((current) => apply(current.room === room ? current : { room, messages: [], typing: {} })),
    [room],
  );

  const addMessage = useCallback(
    (message: SupportChatMessage) =>
      change((current) => {
        const seen = message.id !== undefined && current.messages.some((known) => known.id === message.id);
        const { [message.author.id]: _done, ...typing } = current.typing;
        return { ...current, messages: seen ? current.messages : [...current.messages, message], typing };
      }),
    [change],
  );

  const status = useRoom(room, {
    "chat:history": (data) => {
      const history = readChatHistory(data);
      if (history) change((current) => ({ ...current, messages: history }));
    },
    "chat:message": (data) => {
      const message = readChatMessage(data);
      if (message) addMessage(message);
    },
    "chat:typing": (data) => {
      const news = readChatTyping(data);
      if (!news) return;
      change((current) => {
        const { [news.userId]: _old, ...typing } = current.typing;
        return { ...current, typing: news.typing ? { ...typing, [news.userId]: Date.now() + TYPING_TTL_MS } : typing };
      });
    },
  });

  const typingExpiries = state.room === room ? state.typing : {};
  useEffect(() => {
    const expiries = Object.values(typingExpiries);
    if (expiries.length === 0) return;
    const timer = setTimeout(
      () => {
        const now = Date.now();
        change((current) => ({
          ...current,
          typing: Object.fromEntries(Object.entries(current.typing).filter(([, until]) => until > now)),
        }));
      },
      Math.max(0, Math.min(...expiries) - Date.now()),
    );
    return () => clearTimeout(timer);
  }, [typingExpiries, change]);

  const send = useCallback(
    async (text: string) => {
      if (!room) throw new RoomcastError("not_joined", "no support chat is open: pass a userId");
      // The id makes a retried send idempotent on the hub.
      const stored = await socket.to(room).emitWithAck("chat:message", { text, clientMessageId: messageId() });
      const message = readChatMessage(stored);
      if (message) addMessage(message);
    },
    [socket, room, addMessage],
  );
  const setTyping = useCallback(
    (typing: boolean) => {
      if (room) socket.to(room).emit("chat:typing", { typing });
    },
    [socket, room],
  );

  return {
    ...status,
    room,
    messages: state.room === room ? state.messages : [],
    typing: Object.keys(typingExpiries),
    send,
    setTyping,
  };
}

/** A random id; `crypto.randomUUID` exists only in secure contexts, `getRandomValues` everywhere. */
function messageId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
