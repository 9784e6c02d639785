/**
 * Personal rooms (`user-{sub}`) tell presence about their user's connections: on a join, every
 * `page:navigate`, a `user:update` (display name) and a close. They also answer presence's sweep,
 * closing connections that stopped sending heartbeats.
 *
 * Nothing here waits for presence: a join or a navigation updates the socket's attachment (its
 * path lives there) and asks the room's outbox to report. The outbox sends one snapshot of all the
 * user's live connections at a time, so a burst of navigations leaves as a few snapshots ending on
 * the latest paths (one user cannot flood presence however many sockets and frames they use), and
 * presence replaces what it knew of the user with each, so connections a restart left behind go at
 * once. A failed report is retried from the room's alarm with backoff; the next one repairs it anyway.
 */
import { log } from "../ops/log";
import { CloseCode, ErrorCode } from "../protocol";
import { FrameError, type RoomFeature, type RoomHost } from "../room/room-feature";
import { closeByHub } from "../room/socket-close";
import { readState, writeState } from "../room/socket-state";
import { presenceStub } from "./presence-config";
import type { ConnectionCheckResult } from "./presence-messages";
import type { ConnectionReport, UserSnapshot } from "./presence-store";

/** The display name a `user:update` set; shown instead of the token's name, for every connection. */
const NAME_KEY = "presence:name";
/** Set while a snapshot could not be delivered: the alarm sends one again. */
const UNSENT_KEY = "presence:unsent";
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

/** One per personal-room object: at most one snapshot in flight, and whether another is due. */
class Outbox {
  private sending = false;
  private due = false;
  private version = 0;
  private failures = 0;

  /** Asks for a snapshot of the room's connections to reach presence, soon. */
  request(room: RoomHost): void {
    this.due = true;
    if (!this.sending) void this.pump(room);
  }

  private async pump(room: RoomHost): Promise<void> {
    this.sending = true;
    try {
      while (this.due) {
        this.due = false;
        const snapshot = this.snapshot(room);
        try {
          await presenceStub().reportUser(snapshot);
          this.failures = 0;
          if (room.storage.kv.get(UNSENT_KEY) !== undefined) room.storage.kv.delete(UNSENT_KEY);
        } catch (error) {
          this.failures++;
          log.warn({ event: "presence.report_failed", where: "presence-reporter", kind: room.kind, error });
          room.storage.kv.put(UNSENT_KEY, true);
          await room.wakeAt(Date.now() + Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (this.failures - 1)));
          return;
        }
      }
    } catch (error) {
      log.error({ event: "presence.outbox_failed", where: "presence-reporter", kind: room.kind, error });
    } finally {
      this.sending = false;
    }
  }

  private snapshot(room: RoomHost): UserSnapshot {
    // Later than every earlier snapshot of this room, also across evictions (the clock moved on).
    this.version = Math.max(Date.now(), this.version + 1);
    const name = room.storage.kv.get(NAME_KEY) as string | undefined;
    const connections: ConnectionReport[] = [];
    for (const ws of room.sockets()) {
      const state = readState(ws);
      if (!state || ws.readyState !== WebSocket.OPEN) continue;
      const displayName = name ?? state.name;
      connections.push({
        id: state.connectionId,
        ...(displayName !== undefined ? { name: displayName } : {}),
        roles: state.roles,
        path: state.path ?? null,
        connectedAt: state.connectedAt,
        movedAt: state.movedAt ?? state.connectedAt,
        seenAt: Math.max(state.connectedAt, state.presenceActiveAt ?? 0),
      });
    }
    return { userId: room.name.slice("user-".length), version: this.version, connections };
  }
}

const outboxes = new WeakMap<RoomHost, Outbox>();

function outboxOf(room: RoomHost): Outbox {
  let outbox = outboxes.get(room);
  if (!outbox) {
    outbox = new Outbox();
    outboxes.set(room, outbox);
  }
  return outbox;
}

export const presenceReporter: RoomFeature = {
  onJoin(room) {
    outboxOf(room).request(room);
  },

  onLeave(room) {
    outboxOf(room).request(room);
  },

  onAlarm(room) {
    if (room.storage.kv.get(UNSENT_KEY) !== undefined) outboxOf(room).request(room);
    return null;
  },

  handlers: {
    "page:navigate"(room, ws, state, { path }) {
      const now = Date.now();
      state.path = path;
      state.movedAt = now;
      state.presenceActiveAt = now;
      writeState(ws, state);
      outboxOf(room).request(room);
      return { path };
    },

    "user:update"(room, ws, state, data) {
      // The schema lets these through only so that they can be refused here, before anything changes.
      if (Object.hasOwn(data, "userId") || Object.hasOwn(data, "roles")) {
        throw new FrameError(ErrorCode.forbidden, "only name may change: user id and roles come from the token");
      }
      if (data.name === undefined) throw new FrameError(ErrorCode.invalidPayload, "user:update needs a name");
      // Every connection of the user shows the new name.
      room.storage.kv.put(NAME_KEY, data.name);
      state.presenceActiveAt = Date.now();
      writeState(ws, state);
      outboxOf(room).request(room);
      return { name: data.name };
    },
  },

  rpc: {
    /**
     * For presence's sweep: which of these connections are alive, with their last sign of life
     * (heartbeat, presence frame or connect). Those silent for longer than `staleAfterMs` are closed
     * with 1011 (a client that is still there reconnects); ids with no open socket here are gone.
     */
    checkConnections(room, { ids, staleAfterMs }) {
      const wanted = new Set(ids);
      const now = Date.now();
      const alive: ConnectionCheckResult["alive"] = [];
      for (const ws of room.sockets()) {
        const state = readState(ws);
        if (!state || !wanted.has(state.connectionId) || ws.readyState !== WebSocket.OPEN) continue;
        const seen = Math.max(state.connectedAt, state.presenceActiveAt ?? 0, room.lastHeartbeat(ws) ?? 0);
        if (now - seen > staleAfterMs) {
          closeByHub(ws, CloseCode.internalError, "no heartbeat");
          continue;
        }
        alive.push({ id: state.connectionId, lastSeenAt: seen });
      }
      return { alive };
    },
  },
};
