/**
 * Reads a JSON body with a size cap that holds even when Content-Length is absent or lies.
 */
import { ErrorCode, LIMITS } from "../protocol";
import { HttpError } from "./http-error";

export async function readJsonBody(request: Request, limit: number = LIMITS.maxBodyBytes): Promise<unknown> {
  const bytes = await readBytes(request, limit);
  if (bytes === null) throw new HttpError(400, ErrorCode.badRequest, "a JSON body is required");
  return parseJson(bytes);
}

/** Throws on bytes that are not UTF-8; one for the isolate (a decode without `stream` keeps no state). */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch {
    throw new HttpError(400, ErrorCode.badRequest, "the body is not valid UTF-8 JSON");
  }
}

/** Reads a JSON body that may be absent (null then), with the same cap. */
export async function readOptionalJsonBody(request: Request, limit: number = LIMITS.maxBodyBytes): Promise<unknown> {
  const bytes = await readBytes(request, limit);
  if (bytes === null || bytes.byteLength === 0) return null;
  return parseJson(bytes);
}

/** Reads a text body (empty when there is none) with the same cap. */
export async function readTextBody(request: Request, limit: number): Promise<string> {
  const bytes = await readBytes(request, limit);
  if (bytes === null) return "";
  try {
    return utf8.decode(bytes);
  } catch {
    throw new HttpError(400, ErrorCode.badRequest, "the body is not valid UTF-8");
  }
}

async function readBytes(request: Request, limit: number): Promise<Uint8Array | null> {
  const length = request.headers.get("Content-Length");
  const declared = Number(length ?? "0");
  if (declared > limit) throw tooLarge(limit);
  if (!request.body) return null;
  // A declared length within the cap: one read (the runtime enforces the length it declared).
  if (length !== null && /^[0-9]+$/.test(length)) {
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.byteLength > limit) throw tooLarge(limit);
    return bytes;
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, ErrorCode.payloadTooLarge, `bodies are limited to ${limit} bytes`);
}
