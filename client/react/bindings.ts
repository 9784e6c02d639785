/**
 * React bindings: one socket per app, handed down by `<RoomcastProvider>`; `useRoom` joins a
 * room for as long as it is mounted. Handlers live in refs, so a re-render with a new handler
 * function neither leaves nor rejoins a room, and the socket's token refreshes never reach the
 * hooks. The app hooks (orders, notifications, presence, support chat) are built on these.
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
import { RoomcastError } from "../errors.js";
import type { RoomEvent, RoomEventPayloads } from "../events.js";
import type { RecoveryFailedInfo } from "../room-cursor.js";
import { type ConnectOptions, connect, type RoomcastSocket } from "../socket.js";
import type { AuthFunction } from "../token.js";

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
export function useLatest<T>(value: T): { readonly current: T } {
  const ref = useRef(value);
  useIsomorphicLayoutEffect(() => {
    ref.current = value;
  });
  return ref;
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
  const socket = useMemo(() => {
    const latestAuth: AuthFunction = (request) => {
      const { auth } = optionsRef.current;
      return typeof auth === "function" ? auth(request) : typeof auth === "string" ? auth : auth.token;
    };
    return connect(url, { ...optionsRef.current, auth: latestAuth, autoConnect: false });
  }, [url, optionsRef]);
  useEffect(() => {
    socket.connect();
    return () => {
      socket.disconnect();
    };
  }, [socket]);
  return socket;
}

/**
 * Whether the socket is connected (its personal room joined); re-renders on every change.
 *
 * @example
 * const online = useConnected();
 * return online ? null : <Banner>Reconnecting…</Banner>;
 */
export function useConnected(): boolean {
  const socket = useRoomcast();
  const subscribe = useCallback(
    (onChange: () => void) => socket.listen({ connect: onChange, disconnect: onChange }),
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
 * const handlers: RoomHandlers = { "pool-status-updated": (data) => setPool(data) };
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

/**
 * Joins `room` while mounted (a null room joins nothing) and calls the handler of each event
 * received in that room. Changing `room` leaves the old one and joins the new one. The room is
 * held (`socket.hold`): it stays joined while any hook or the app's `join-room` needs it. Rejoins
 * after drops resume where the room left off; `onRecoveryFailed` is called when one could not.
 *
 * @example
 * const { joined, error } = useRoom("pool-staff", {
 *   "pool-status-updated": (status) => setPool(status),
 * }, { onRecoveryFailed: () => refetchPool() });
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
    const onGiveUp = (error: RoomcastError) => {
      if (error.room === room && !error.willRetry) update({ joined: false, error });
    };
    const stopEvents = socket.onRoomEvent(room, (event, data, from) => {
      const handler = handlersRef.current[event as RoomEvent] as ((data: unknown, room: string) => void) | undefined;
      handler?.(data, from);
    });
    const stopLifecycle = socket.listen({
      "room:connect": (joined) => {
        if (joined === room) update({ joined: true, error: null });
      },
      "room:disconnect": (reason, left) => {
        if (left !== room) return;
        const revoked = reason === "access_revoked";
        const error = revoked ? new RoomcastError("access_revoked", `access to ${room} was revoked`, { room }) : null;
        update({ joined: false, error });
      },
      "room:connect_error": onGiveUp,
      "room:reconnect_failed": onGiveUp,
      recovery_failed: (info, from) => {
        if (from === room) optionsRef.current.onRecoveryFailed?.(info, from);
      },
    });
    const release = socket.hold(room, (ok, error) => {
      if (!ok && error) update({ joined: false, error });
    });
    return () => {
      stopEvents();
      stopLifecycle();
      release();
    };
  }, [socket, room, handlersRef, optionsRef]);

  // A status left over from the previous room is not this room's.
  return status.room === room && room ? status.value : NOT_JOINED;
}
