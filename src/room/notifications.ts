/**
 * Personal rooms keep a user's last HISTORY.maxNotifications unread notifications, so that a user
 * who was offline receives them on connect; `notification:read` deletes them, so read ones never
 * come back and never crowd out unread ones.
 *
 * A notification without an id gets one in the hub's own id space, `hub:{seq}`, which backend
 * ids may not use (the broadcast schema refuses them), so a backend's id can never replace one.
 */
import { GENERATED_NOTIFICATION_ID_PREFIX, HISTORY, type Notification } from "../protocol";
import type { RoomFeature, RoomHost } from "./room-feature";

export const notifications: RoomFeature = {
  migrate(storage, fresh) {
    storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS notifications (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, frame TEXT NOT NULL, read INTEGER NOT NULL DEFAULT 0)",
    );
    storage.sql.exec("CREATE INDEX IF NOT EXISTS notifications_seq ON notifications (seq)");
    // Rooms stored before reads deleted: their read rows only took the place of unread ones.
    if (!fresh) storage.sql.exec("DELETE FROM notifications WHERE read = 1");
  },

  beforePublish(room, event, data) {
    // Every kept notification needs an id the client can mark read.
    if (event !== "notification") return data;
    const notification = data as Notification;
    return notification.id
      ? notification
      : { ...notification, id: `${GENERATED_NOTIFICATION_ID_PREFIX}${room.history.seq + 1}` };
  },

  afterPublish(room, event, data, seq, frame) {
    if (event !== "notification") return;
    // The frame is kept here too: the room's history may drop it before it is read.
    const { id } = data as Notification;
    room.storage.sql.exec(
      "INSERT INTO notifications (id, seq, frame) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, frame = excluded.frame",
      id ?? `${GENERATED_NOTIFICATION_ID_PREFIX}${seq}`,
      seq,
      frame,
    );
    // Every row is unread: keeping the newest rows keeps exactly the last unread ones.
    room.storage.sql.exec(
      "DELETE FROM notifications WHERE seq <= (SELECT seq FROM notifications ORDER BY seq DESC LIMIT 1 OFFSET ?)",
      HISTORY.maxNotifications,
    );
  },

  onJoin(room, ws, _state, resumed) {
    // A resumed client already has them from the replay; a fresh one gets every unread one. A room
    // that never published an event has none (each notification is an event, with its seq).
    if (resumed || room.history.seq === 0) return;
    for (const frame of unreadFrames(room)) room.send(ws, frame);
  },

  handlers: {
    "notification:read"(room, _ws, _state, { ids }) {
      const placeholders = ids.map(() => "?").join(",");
      const { rowsWritten } = room.storage.sql.exec(`DELETE FROM notifications WHERE id IN (${placeholders})`, ...ids);
      return { read: rowsWritten };
    },
  },
};

function unreadFrames(room: RoomHost): string[] {
  return room.storage.sql
    .exec<{ frame: string }>("SELECT frame FROM notifications ORDER BY seq")
    .toArray()
    .map((row) => row.frame);
}
