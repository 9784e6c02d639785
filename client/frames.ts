/**
 * Reads what the hub sends. Every frame goes through `serverFrameSchema`; batches are unpacked
 * into their frames; extra fields (such as `seq` and `epoch`) are tolerated and kept for the cursor.
 */
import { z } from "zod";
import { HEARTBEAT_ACK_FRAME, serverFrameSchema } from "../src/protocol";

export type IncomingFrame =
  | { kind: "heartbeat-ack" }
  | { kind: "ack"; ack: number; data: unknown }
  | { kind: "ack-error"; ack: number; code: string; message: string }
  | { kind: "event"; event: string; room: string | undefined; data: unknown; seq?: unknown; epoch?: unknown };

const frameSchema = serverFrameSchema.extend({ seq: z.unknown().optional(), epoch: z.unknown().optional() });
const errorBodySchema = z.object({ code: z.string(), message: z.string() });

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
  const parsed = frameSchema.safeParse(raw);
  if (!parsed.success) return;
  const frame = parsed.data;
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
    const body = errorBodySchema.safeParse(frame.data);
    into.push({
      kind: "ack-error",
      ack: frame.ack,
      code: body.success ? body.data.code : "internal_error",
      message: body.success ? body.data.message : "the hub refused this request",
    });
  } else {
    into.push({ kind: "event", event: frame.event, room, data: frame.data, seq: frame.seq, epoch: frame.epoch });
  }
}
