/**
 * Reads what the hub sends. Every frame goes through `serverFrameSchema`; batches are unpacked
 * into their frames; extra fields (such as `seq` and `epoch`) are tolerated and kept for the cursor.
 */
import * as v from "valibot";
import { HEARTBEAT_ACK_FRAME, serverFrameSchema } from "../src/protocol.js";

export type IncomingFrame =
  | { kind: "heartbeat-ack" }
  | { kind: "ack"; ack: number; data: unknown }
  | { kind: "ack-error"; ack: number; code: string; message: string }
  | {
      kind: "event";
      event: string;
      room: string | undefined;
      data: unknown;
      seq?: unknown;
      epoch?: unknown;
      publishId?: string | undefined;
    };

const errorBodySchema = v.object({ code: v.string(), message: v.string() });

/** The frames in one WebSocket message; an unreadable message yields none. */
export function readServerFrames(message: unknown): IncomingFrame[] {
  if (typeof message !== "string") return [];
  if (message === HEARTBEAT_ACK_FRAME) return [{ kind: "heartbeat-ack" }];
  let raw: unknown;
  try {
    raw = JSON.parse(message);
  } catch {
    return [];
  }
  const frames: IncomingFrame[] = [];
  collect(raw, undefined, frames, true);
  return frames;
}

function collect(raw: unknown, batchRoom: string | undefined, into: IncomingFrame[], topLevel: boolean): void {
  const parsed = v.safeParse(serverFrameSchema, raw);
  if (!parsed.success) return;
  const frame = parsed.output;
  const room = frame.room ?? batchRoom;
  if (frame.event === "batch" && topLevel && Array.isArray(frame.data)) {
    for (const inner of frame.data) collect(inner, room, into, false);
    return;
  }
  if (frame.event === "heartbeat-ack") {
    into.push({ kind: "heartbeat-ack" });
  } else if (frame.event === "ack" && frame.ack !== undefined) {
    into.push({ kind: "ack", ack: frame.ack, data: frame.data });
  } else if (frame.event === "error" && frame.ack !== undefined) {
    const body = v.safeParse(errorBodySchema, frame.data);
    into.push({
      kind: "ack-error",
      ack: frame.ack,
      code: body.success ? body.output.code : "internal_error",
      message: body.success ? body.output.message : "the hub refused this request",
    });
  } else {
    const { event, data, seq, epoch, publishId } = frame;
    into.push({ kind: "event", event, room, data, seq, epoch, publishId });
  }
}
