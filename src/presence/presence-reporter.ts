/**
 * Personal rooms (`user-{sub}`) report each of their connections to presence: on join, on every
 * `page:navigate`, on `user:update` (display name) and on close. They also answer presence's sweep,
 * closing connections that stopped sending heartbeats.
 *
 * Per connection the room keeps only two numbers in the socket's attachment: the version of its
 * last report (so presence can ignore a report that arrives after a newer one) and when the
 * connection last sent a presence frame. The path lives in presence alone.
 */
import { CloseCode, ErrorCode } from "../protocol";
import { FrameError, type RoomFeature, type RoomHost } from "../room/room-feature";
import { closeByHub, describe } from "../room/room-object";
import { type SocketState, stateOf } from "../room/socket-state";
import { type ConnectionCheck, type ConnectionCheckResult, presenceStub } from "./presence-config";
import type { ConnectionReport } from "./presence-store";

/** What presence adds to a socket's attachment. */
interface PresenceSocketState extends SocketState {
  /** Version of the last report about this connection. */
  pv?: number;
  /** Last presence frame from this connection (ms). */
  pa?: number;
}

/** The display name a `user:update` set; shown instead of the token's name, for every connection. */
const NAME_KEY = "presence:name";

export const presenceReporter: RoomFeature = {
  async onJoin(room, ws) {
    await report(room, [nextReport(room, ws, Date.now())]);
  },

  async onLeave(room, _ws, state) {
    try {
      await presenceStub().leave([state.c]);
    } catch (error) {
      console.error("presence: could not report a closed connection", room.name, describe(error));
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
    checkConnections(room, arg): ConnectionCheckResult {
      const { ids, staleAfterMs } = readCheck(arg);
      const wanted = new Set(ids);
      const now = Date.now();
      const alive: ConnectionCheckResult["alive"] = [];
      for (const ws of room.sockets()) {
        const state = stateOf(ws) as PresenceSocketState | null;
        if (!state || !wanted.has(state.c) || ws.readyState !== WebSocket.OPEN) continue;
        const seen = Math.max(state.t, state.pa ?? 0, room.lastHeartbeat(ws) ?? 0);
        if (now - seen > staleAfterMs) {
          closeByHub(ws, CloseCode.internalError, "no heartbeat");
          continue;
        }
        alive.push({ id: state.c, lastSeenAt: seen });
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
  const state = stateOf(ws) as PresenceSocketState | null;
  if (!state) return null;
  state.pv = (state.pv ?? 0) + 1;
  if (activeAt !== undefined) state.pa = activeAt;
  ws.serializeAttachment(state);
  const name = (room.storage.kv.get(NAME_KEY) as string | undefined) ?? state.n;
  return {
    id: state.c,
    userId: state.u,
    ...(name !== undefined ? { name } : {}),
    roles: state.r,
    connectedAt: state.t,
    seenAt: Math.max(state.t, state.pa ?? 0),
    version: state.pv,
  };
}

/** Sends reports to presence; a failure is logged and the room goes on (the next report repairs it). */
async function report(room: RoomHost, entries: (ConnectionReport | null)[]): Promise<void> {
  const reports = entries.filter((entry) => entry !== null);
  if (reports.length === 0) return;
  try {
    await presenceStub().report(reports);
  } catch (error) {
    console.error("presence: report failed", room.name, describe(error));
  }
}

function readCheck(arg: unknown): ConnectionCheck {
  const check = arg as Partial<ConnectionCheck> | null;
  if (
    !Array.isArray(check?.ids) ||
    !check.ids.every((id) => typeof id === "string") ||
    typeof check.staleAfterMs !== "number"
  ) {
    throw new Error("checkConnections expects { ids: string[], staleAfterMs: number }");
  }
  return { ids: check.ids, staleAfterMs: check.staleAfterMs };
}
