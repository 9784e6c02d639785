/**
 * Notifications: every `notification` the socket hears, once each, and marking them read.
 */
import { useCallback, useEffect, useMemo } from "react";
import { HISTORY, type Notification } from "../../src/protocol.js";
import { type RoomOptions, useLatest, useRoomcast } from "./bindings.js";

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
    const onNotification = (data: Notification, room: string) => {
      if (typeof data?.id === "string") {
        const key = `${room}\u0000${data.id}`;
        if (seen.has(key)) return;
        seen.add(key);
        if (seen.size > REMEMBERED_NOTIFICATIONS) seen.delete(seen.values().next().value as string);
      }
      handlerRef.current(data, room);
    };
    return socket.listen({
      notification: onNotification,
      recovery_failed: (info, room) => optionsRef.current.onRecoveryFailed?.(info, room),
    });
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
