/**
 * Personal rooms (`user-{sub}`) report each of their connections to presence: on join, on every
 * `page:navigate`, on `user:update` (display name) and on close. They also answer presence's sweep,
 * closing connections that stopped sending heartbeats.
 *
 * Per connection the room keeps only two numbers in the socket's attachment: the version of its
 * last report (so presence can ignore a report that arrives after a newer one) and when the
 * connection last sent a presence frame. The path lives in presence alone.
 */
import { describeError } from "../describe-error";
import { CloseCode, ErrorCode } from "../protocol";
import { FrameError, type RoomFeature, type RoomHost } from "../room/room-feature";
import { closeByHub } from "../room/socket-close";
import { readState, writeState } from "../room/socket-state";
import { presenceStub } from "./presence-config";
import type { ConnectionCheckResult } from "./presence-messages";
import type { ConnectionReport } from "./presence-store";

/** The display name a `user:update` set; shown instead of the token's name, for every connection. */
const NAME_KEY = "presence:name";

export const presenceReporter: RoomFeature = {
  async onJoin(room, ws) {
    await report(room, [nextReport(room, ws, Date.now())]);
  },

  async onLeave(room, _ws, state) {
    try {
      await presenceStub().leave([state.connectionId]);
    } catch (error) {
      console.error("presence: could not report a closed connection", room.name, describeError(error));
    }
  },

  handlers: {
    async "page:navigate"(room, ws, _state, { path }) {
      const entry = nextReport(room, ws, Date.now());
      await report(room, [entry && { ...entry, path }]);
      return { path };
    },

    async "user:update"(room, ws, _state, data) {
      // The schema lets these through only so that they can be refused here, before anything changes.
      if (Object.hasOwn(data, "userId") || Object.hasOwn(data, "roles")) {
        throw new FrameError(ErrorCode.forbidden, "only name may change: user id and roles come from the token");
      }
      if (data.name === undefined) throw new FrameError(ErrorCode.invalidPayload, "user:update needs a name");
      room.storage.kv.put(NAME_KEY, data.name);
      const now = Date.now();
      // Every connection of the user shows the new name.
      await report(
        room,
        room.sockets().map((socket) => nextReport(room, socket, socket === ws ? now : undefined)),
      );
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

/**
 * Bumps the connection's report version in its attachment and describes it. `activeAt` is when
 * the connection itself acted (absent when another connection's frame caused the report).
 */
function nextReport(room: RoomHost, ws: WebSocket, activeAt?: number): ConnectionReport | null {
  const state = readState(ws);
  if (!state) return null;
  state.presenceVersion = (state.presenceVersion ?? 0) + 1;
  if (activeAt !== undefined) state.presenceActiveAt = activeAt;
  writeState(ws, state);
  const name = (room.storage.kv.get(NAME_KEY) as string | undefined) ?? state.name;
  return {
    id: state.connectionId,
    userId: state.userId,
    ...(name !== undefined ? { name } : {}),
    roles: state.roles,
    connectedAt: state.connectedAt,
    seenAt: Math.max(state.connectedAt, state.presenceActiveAt ?? 0),
    version: state.presenceVersion,
  };
}

/** Sends reports to presence; a failure is logged and the room goes on (the next report repairs it). */
async function report(room: RoomHost, entries: (ConnectionReport | null)[]): Promise<void> {
  const reports = entries.filter((entry) => entry !== null);
  if (reports.length === 0) return;
  try {
    await presenceStub().report(reports);
  } catch (error) {
    console.error("presence: report failed", room.name, describeError(error));
  }
}
