/**
 * The webhooks of a room's comings and goings: `room.occupied` for its first open socket,
 * `room.vacated` for its last, `member.joined`/`member.left` for a granted user's first and last.
 * Whether the room is occupied is kept in storage while it is (`OCCUPIED_KEY`), so that a join
 * after a restart that dropped every socket unseen reports the vacancy it missed first.
 */
import type { RoomHost } from "./room-feature";
import { readState, type SocketState, userTag } from "./socket-state";

const OCCUPIED_KEY = "webhook:occupied";

/** Open sockets of the room, or of one user (only those a grant admitted, with `viaGrant`). */
function openSockets(room: RoomHost, userId?: string, viaGrant = false): WebSocket[] {
  return room
    .sockets(userId === undefined ? undefined : userTag(userId))
    .filter((ws) => ws.readyState === WebSocket.OPEN && (!viaGrant || readState(ws)?.viaGrant === true));
}

/** After a socket was accepted. */
export function reportArrival(room: RoomHost, state: SocketState): void {
  if (openSockets(room).length === 1) {
    const { kv } = room.storage;
    // Still marked occupied: the hub restarted with sockets here, and nobody saw them go.
    if (kv.get(OCCUPIED_KEY) === true) room.notifyBackend("room.vacated", { reason: "restart" });
    kv.put(OCCUPIED_KEY, true);
    room.notifyBackend("room.occupied", {});
  }
  if (state.viaGrant && openSockets(room, state.userId, true).length === 1) {
    room.notifyBackend("member.joined", { userId: state.userId });
  }
}

/** After a socket closed (it is no longer open). */
export function reportDeparture(room: RoomHost, state: SocketState): void {
  if (state.viaGrant && openSockets(room, state.userId, true).length === 0) {
    room.notifyBackend("member.left", { userId: state.userId });
  }
  if (openSockets(room).length === 0 && room.storage.kv.get(OCCUPIED_KEY) === true) {
    room.storage.kv.delete(OCCUPIED_KEY);
    room.notifyBackend("room.vacated", { reason: "closed" });
  }
}
