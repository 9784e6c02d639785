/**
 * Turns a raw WebSocket message into a validated client frame, or says exactly what is wrong with it.
 * Never throws: every input ends in one of the two results.
 */

import * as v from "valibot";
import { clientEventSchemas, clientFrameSchema } from "../payload-schemas";
import { type ClientEvent, type ClientFrame, describeIssue, ErrorCode, LIMITS } from "../protocol";
import "../schema-messages";
import { utf8Length } from "../utf8-length";

export type InboundResult =
  | { ok: true; event: ClientEvent; data: unknown; ack?: number }
  | { ok: false; code: ErrorCode; message: string; ack?: number };

function byteLength(text: string): number {
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short strings need no counting.
  return text.length * 3 <= LIMITS.maxFrameBytes ? text.length : utf8Length(text);
}

export function readInboundFrame(message: string | ArrayBuffer): InboundResult {
  if (typeof message !== "string") {
    return {
      ok: false,
      code: ErrorCode.binaryNotSupported,
      message: "binary frames are not supported: send JSON text",
    };
  }
  if (byteLength(message) > LIMITS.maxFrameBytes) {
    return { ok: false, code: ErrorCode.frameTooLarge, message: `frames are limited to ${LIMITS.maxFrameBytes} bytes` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(message);
  } catch {
    return { ok: false, code: ErrorCode.invalidFrame, message: "frame is not valid JSON" };
  }
  const envelope = v.safeParse(clientFrameSchema, raw);
  if (!envelope.success) {
    const ack = ackOf(raw);
    return {
      ok: false,
      code: ErrorCode.invalidFrame,
      message: `frame must be { event, data?, ack? }: ${describeIssue(envelope.issues)}`,
      ack,
    };
  }
  const frame: ClientFrame = envelope.output;
  if (!Object.hasOwn(clientEventSchemas, frame.event)) {
    return {
      ok: false,
      code: ErrorCode.unknownEvent,
      message: `unknown event "${frame.event.slice(0, 100)}"`,
      ack: frame.ack,
    };
  }
  const event = frame.event as ClientEvent;
  const data = v.safeParse(clientEventSchemas[event], frame.data);
  if (!data.success) {
    return {
      ok: false,
      code: ErrorCode.invalidPayload,
      message: `invalid ${event} payload: ${describeIssue(data.issues)}`,
      ack: frame.ack,
    };
  }
  return { ok: true, event, data: data.output, ack: frame.ack };
}

/** The ack number of a frame that failed validation, when it has a usable one. */
function ackOf(raw: unknown): number | undefined {
  if (typeof raw !== "object" || raw === null || !("ack" in raw)) return undefined;
  const ack = (raw as { ack: unknown }).ack;
  return typeof ack === "number" && Number.isSafeInteger(ack) && ack >= 0 ? ack : undefined;
}
