/**
 * Presence hooks: this tab's page (`page:navigate`) and, for admins, who is online
 * (`admin-dashboard`).
 */
import { useEffect, useState } from "react";
import { type LiveUser, type LiveUsersUpdate, PRESENCE } from "../../src/protocol.js";
import { type RoomStatus, useRoom, useRoomcast } from "./bindings.js";

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
    if (socket.connected) navigate();
    // Each connection reports its own page: the personal room's every (re)join is the socket's connect.
    return socket.listen({ connect: navigate });
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
