/**
 * How the hub's Hono apps answer a thrown error: an `HttpError` renders itself; anything else is
 * logged (without the URL: browsers put the token in the query string) and answered with a 500
 * that says nothing about the failure.
 */
import { log } from "../ops/log";
import { ErrorCode } from "../protocol";
import { errorResponse, HttpError } from "./http-error";

export function renderError(error: Error): Response {
  if (error instanceof HttpError) return error.getResponse();
  log.error({ event: "worker.request_failed", where: "worker", code: ErrorCode.internal, error });
  return errorResponse(500, ErrorCode.internal, "the hub failed to handle this request");
}
