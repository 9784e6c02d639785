/**
 * Decides whether a request may enter a room: room name, Origin, token, policy. Shared by the
 * upgrade route and POST /access/{room}, so a client that cannot see an upgrade's HTTP status
 * (browsers, Node's WebSocket) can learn the exact refusal by asking the same question again.
 */

import * as v from "valibot";
import { allowedOrigins, type Env } from "../env";
import { resumeQuerySchema } from "../payload-schemas";
import { describeIssue, ErrorCode } from "../protocol";
import type { ConnectRequest } from "../room/connect-request";
import { accessTo, parseRoom } from "../room-policy";
import { verifyToken } from "./auth";
import { HttpError } from "./http-error";

/** Throws an HttpError with the refusal; returns what the room needs to accept the socket. */
export async function admit(
  env: Env,
  roomName: string,
  origin: string | null,
  token: string | null,
): Promise<ConnectRequest> {
  const room = parseRoom(roomName);
  if (!room) throw new HttpError(400, ErrorCode.invalidRoom, "unknown room name: see the room table in README.md");
  const origins = allowedOrigins(env);
  if (origin !== null && origins.length > 0 && !origins.includes(origin)) {
    throw new HttpError(403, ErrorCode.originRefused, "this Origin may not open sockets: add it to ALLOWED_ORIGINS");
  }
  if (!token) {
    throw new HttpError(401, ErrorCode.unauthorized, "a token is required: pass ?token= or Authorization: Bearer");
  }
  const user = await verifyToken(token, env);
  const access = accessTo(room, user);
  if (access === "denied") throw new HttpError(403, ErrorCode.forbidden, `you may not join ${room.name}`);
  return {
    room: room.name,
    userId: user.userId,
    roles: user.roles,
    name: user.name,
    exp: user.exp,
    needsGrant: access === "needs-grant",
  };
}

export function forbiddenWithoutGrant(room: string): HttpError {
  return new HttpError(403, ErrorCode.forbidden, `you may not join ${room}`);
}

const DECIMAL_SEQ = /^(0|[1-9][0-9]{0,15})$/;

/** `since` and `epoch` of a resuming upgrade; both or neither. */
export function resumeOf(url: URL): { since?: number; epoch?: string } {
  const since = url.searchParams.get("since");
  const epoch = url.searchParams.get("epoch");
  if (since === null && epoch === null) return {};
  const parsed = v.safeParse(resumeQuerySchema, { since: since ?? undefined, epoch: epoch ?? undefined });
  // Number() would also read "0x10", "1e3" or " 7": a seq is written in decimal digits only.
  const decimal = since !== null && DECIMAL_SEQ.test(since);
  if (!parsed.success || !decimal) {
    const detail = parsed.success ? "since: must be a decimal integer" : describeIssue(parsed.issues);
    throw new HttpError(
      400,
      ErrorCode.badRequest,
      `resume needs since (a seq) and epoch from the joined frame: ${detail}`,
    );
  }
  return parsed.output;
}
