/**
 * Personal rooms keep a user's last notifications until they are read, so that a user who was
 * offline receives them on connect, and `notification:read` stops them from coming back.
 */
import { HISTORY, type Notification } from "../protocol";
import type { RoomFeature, RoomHost } from "./room-feature";

export const notifications: RoomFeature = {
  migrate(storage) {
    storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS notifications (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, frame TEXT NOT NULL, read INTEGER NOT NULL DEFAULT 0)",
    );
    storage.sql.exec("CREATE INDEX IF NOT EXISTS notifications_seq ON notifications (seq)");
  },

  beforePublish(room, event, data) {
    // Every kept notification needs an id the client can mark read.
    if (event !== "notification") return data;
    const notification = data as Notification;
    return notification.id ? notification : { ...notification, id: `n${room.history.seq + 1}` };
  },

  afterPublish(room, event, data, seq, frame) {
    if (event !== "notification") return;
    // The frame is kept here too: the room's history may trim it before it is read.
    const { id } = data as Notification;
    room.storage.sql.exec(
      "INSERT OR REPLACE INTO notifications (id, seq, frame, read) VALUES (?, ?, ?, 0)",
      id ?? `n${seq}`,
      seq,
      frame,
    );
    room.storage.sql.exec(
      "DELETE FROM notifications WHERE seq <= (SELECT seq FROM notifications ORDER BY seq DESC LIMIT 1 OFFSET ?)",
      HISTORY.maxNotifications,
    );
  },

  onJoin(room, ws, _state, resumed) {
    // A resumed client already has them from the replay; a fresh one gets every unread one.
    if (resumed) return;
    for (const frame of unreadFrames(room)) room.send(ws, frame);
  },

  handlers: {
    "notification:read"(room, _ws, _state, { ids }) {
      const placeholders = ids.map(() => "?").join(",");
      const marked = room.storage.sql
        .exec(`UPDATE notifications SET read = 1 WHERE read = 0 AND id IN (${placeholders}) RETURNING id`, ...ids)
        .toArray();
      return { read: marked.length };
    },
  },
};

function unreadFrames(room: RoomHost): string[] {
  return room.storage.sql
    .exec<{ frame: string }>("SELECT frame FROM notifications WHERE read = 0 ORDER BY seq")
    .toArray()
    .map((row) => row.frame);
}
