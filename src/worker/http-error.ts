/**
 * The one shape of every HTTP error: `{ "error": { "code", "message" } }`. An `HttpError` renders
 * itself (`getResponse()`, as Hono's HTTPException does), so any Hono app or sub-app, and code
 * outside Hono such as the room objects, answers it the same way.
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

  getResponse(): Response {
    return errorResponse(this.status, this.code, this.message, this.headers);
  }
}

export function errorResponse(status: number, code: ErrorCode, message: string, headers?: HeadersInit): Response {
  return Response.json({ error: { code, message } }, { status, headers });
}
