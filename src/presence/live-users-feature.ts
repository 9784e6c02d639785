/**
 * The admin dashboard (`admin-dashboard`) shows live users: a joining admin gets the current list
 * at once, and presence pushes every change (coalesced) to all admins as `live-users-update`, an
 * ephemeral event (no seq, not kept: the next update supersedes it).
 *
 * Pushes carry presence's epoch and version; the room keeps the last one it sent, so that a list
 * fetched for a joining admin is not sent after a newer push already reached that socket, and a
 * late push never overwrites a newer one.
 */
import { log } from "../ops/log";
import type { RoomFeature, RoomHost } from "../room/room-feature";
import { presenceStub } from "./presence-config";
import type { LiveUsersPush } from "./presence-messages";

const EVENT = "live-users-update";
const LAST_SENT_KEY = "presence:last-sent";
/** Set when a joining admin's list could not be fetched; the alarm fetches it again. */
const REFETCH_KEY = "presence:refetch";
const REFETCH_RETRY_MS = 2_000;

interface SentMark {
  epoch: string;
  version: number;
}

export const liveUsersFeature: RoomFeature = {
  async onJoin(room, ws) {
    try {
      const push = await presenceStub().liveUsers(true);
      // A push newer than this list was sent after the socket joined, so it already has it.
      if (!isOlderThanSent(room, push)) room.sendEphemeral(EVENT, push.update, { only: [ws] });
    } catch (error) {
      log.warn({ event: "dashboard.list_failed", where: "admin-dashboard.onJoin", kind: room.kind, error });
      room.storage.kv.put(REFETCH_KEY, true);
      await room.wakeAt(Date.now() + REFETCH_RETRY_MS);
    }
  },

  rpc: {
    /** Sends presence's list to every admin; returns how many sockets it reached (0: nobody watches). */
    pushLiveUsers(room, push) {
      if (isOlderThanSent(room, push)) return room.sockets().length;
      return send(room, push);
    },
  },

  async onAlarm(room, now) {
    if (room.storage.kv.get(REFETCH_KEY) !== true) return null;
    if (room.sockets().length === 0) {
      room.storage.kv.delete(REFETCH_KEY);
      return null;
    }
    try {
      const push = await presenceStub().liveUsers(true);
      room.storage.kv.delete(REFETCH_KEY);
      if (!isOlderThanSent(room, push)) send(room, push);
      return null;
    } catch (error) {
      log.warn({ event: "dashboard.list_failed", where: "admin-dashboard.alarm", kind: room.kind, error });
      return now + REFETCH_RETRY_MS;
    }
  },
};

function send(room: RoomHost, push: LiveUsersPush): number {
  room.storage.kv.put(LAST_SENT_KEY, { epoch: push.epoch, version: push.version } satisfies SentMark);
  return room.sendEphemeral(EVENT, push.update);
}

/** True when a push of the same presence epoch with a higher version was already sent. */
function isOlderThanSent(room: RoomHost, push: LiveUsersPush): boolean {
  const sent = room.storage.kv.get(LAST_SENT_KEY) as SentMark | undefined;
  return sent !== undefined && sent.epoch === push.epoch && sent.version > push.version;
}
