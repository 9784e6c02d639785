/**
 * The one shape of every HTTP error: `{ "error": { "code", "message" } }`.
 */
import type { ErrorCode } from "../protocol";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers?: HeadersInit,
  ) {
    super(message);
  }
}

export function errorResponse(status: number, code: ErrorCode, message: string, headers?: HeadersInit): Response {
  return Response.json({ error: { code, message } }, { status, headers });
}
