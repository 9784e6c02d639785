/**
 * Development-only routes behind the live console (`ENVIRONMENT=development`): mint tokens for a
 * chosen user and roles, and relay the backend simulator's calls to the internal API with the
 * server-side secret (the browser never sees it). In any other environment they do not exist.
 */
import { Hono } from "hono";
import * as v from "valibot";
import type { Env } from "../env";
import { describeIssue, ErrorCode, ID_PATTERN, ID_RULE } from "../protocol";
import "../schema-messages";
import { signToken } from "../sign-token.mjs";
import { errorResponse, HttpError } from "./http-error";
import { internalApi } from "./internal-api";
import { readJsonBody } from "./read-body";

export const devRoutes = new Hono<{ Bindings: Env }>();

const KNOWN_ROLES = ["admin", "staff", "kitchen", "pool", "support"] as const;

const devTokenRequestSchema = v.strictObject({
  sub: v.pipe(v.string(), v.regex(ID_PATTERN, `sub must be ${ID_RULE}`)),
  roles: v.optional(v.pipe(v.array(v.picklist(KNOWN_ROLES)), v.maxLength(KNOWN_ROLES.length)), []),
  name: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(100))),
  /** Lifetime in seconds (10 s to 24 h); short ones let a person watch a token expire. */
  expiresIn: v.optional(v.pipe(v.number(), v.integer(), v.minValue(10), v.maxValue(86_400)), 3600),
});

// Everything here 404s unless the hub runs in development: the routes do not exist elsewhere.
devRoutes.use("*", async (c, next) => {
  if (c.env.ENVIRONMENT !== "development") return errorResponse(404, ErrorCode.notFound, "no such route");
  const refusal = crossSiteRefusal(c.req.raw);
  if (refusal) return errorResponse(403, ErrorCode.forbidden, refusal);
  await next();
});

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * These routes mint any token and speak with the server's secret, so only the console on this
 * machine may call them: the request must be addressed to a loopback host (a page that rebinds
 * its own DNS name to 127.0.0.1 still sends its own name as Host), come from a loopback page if
 * it comes from a page at all, and carry its body as JSON (a cross-site form or text/plain POST
 * cannot, and a cross-site JSON request needs a preflight this hub never answers).
 */
function crossSiteRefusal(request: Request): string | null {
  if (!LOOPBACK_HOSTS.has(new URL(request.url).hostname)) {
    return "development routes answer only requests to localhost or 127.0.0.1";
  }
  const origin = request.headers.get("Origin");
  if (origin !== null && !isLoopbackOrigin(origin)) {
    return "development routes answer only pages served from localhost or 127.0.0.1";
  }
  // A proxy may hand on an empty body as a stream: what counts is whether bytes were declared.
  const declared = Number(request.headers.get("Content-Length") ?? "0") > 0 || request.headers.has("Transfer-Encoding");
  const hasBody = declared || request.method === "POST";
  const type = request.headers.get("Content-Type")?.split(";")[0]?.trim().toLowerCase();
  if (hasBody && type !== "application/json")
    return "development routes take JSON bodies (Content-Type: application/json)";
  return null;
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    return LOOPBACK_HOSTS.has(new URL(origin).hostname);
  } catch {
    return false;
  }
}

devRoutes.post("/token", async (c) => {
  const parsed = v.safeParse(devTokenRequestSchema, await readJsonBody(c.req.raw));
  if (!parsed.success) throw new HttpError(400, ErrorCode.badRequest, describeIssue(parsed.issues));
  if (!c.env.JWT_SECRET) throw new HttpError(400, ErrorCode.badRequest, "dev tokens need JWT_SECRET (HS256)");
  const { sub, roles, name, expiresIn } = parsed.output;
  return c.json({ token: await signToken(c.env.JWT_SECRET, { sub, roles: [...roles], name, expiresIn }), expiresIn });
});

/** The simulator's calls, relayed to the internal API: /dev/internal/broadcast, /dev/internal/rooms/... */
devRoutes.all("/internal/*", async (c) => {
  const url = new URL(c.req.url);
  // The internal API's own paths: it is called directly, not through the hub's router.
  url.pathname = url.pathname.replace(/^\/dev\/internal\//, "/");
  const headers = new Headers({ Authorization: `Bearer ${c.env.BROADCAST_SECRET}` });
  const type = c.req.header("Content-Type");
  if (type) headers.set("Content-Type", type);
  const body = ["GET", "HEAD"].includes(c.req.method) ? undefined : await c.req.arrayBuffer();
  return internalApi.fetch(new Request(url, { method: c.req.method, headers, body }), c.env, c.executionCtx);
});

devRoutes.all("*", () => errorResponse(404, ErrorCode.notFound, "no such development route"));
