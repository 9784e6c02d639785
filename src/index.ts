/**
 * The hub's Worker: authenticates every upgrade, routes each room to its own Durable Object,
 * and serves the internal API backends publish through.
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import { configProblemOf, type Env } from "./env";
import { log } from "./ops/log";
import { ErrorCode } from "./protocol";
import { handleBroadcast } from "./worker/broadcast-route";
import { devRoutes } from "./worker/dev-routes";
import { errorResponse } from "./worker/http-error";
import { internalApi } from "./worker/internal-api";
import { checkInternalCaller } from "./worker/internal-auth";
import { renderError } from "./worker/render-error";
import { handleAccessCheck, handleUpgrade } from "./worker/ws-route";

export { PresenceObject } from "./presence/presence-object";
export { RoomObject } from "./room/room-object";

const app = new Hono<{ Bindings: Env }>();

/** Fail closed: without its secrets the hub serves nothing. */
function misconfigured(env: Env): Response | null {
  const problem = configProblemOf(env);
  if (!problem) return null;
  log.error({ event: "worker.misconfigured", where: "worker", code: ErrorCode.misconfigured });
  return errorResponse(500, ErrorCode.misconfigured, problem);
}

// This middleware never edits a response.
app.use("*", async (c, next) => misconfigured(c.env) ?? (await next()));

app.all("/ws/:room", handleUpgrade);
app.all("/ws/*", () => errorResponse(400, ErrorCode.invalidRoom, "unknown room name: see the room table in README.md"));
// Answers, refusals included, are readable from any origin (see handleAccessCheck).
app.use("/access/*", cors({ origin: "*", exposeHeaders: ["Retry-After"] }));
app.post("/access/:room", handleAccessCheck);
app.route("/internal", internalApi);
app.route("/dev", devRoutes);
app.get("/health", (c) => c.json({ ok: true }));

app.notFound(() => errorResponse(404, ErrorCode.notFound, "no such route"));
app.onError(renderError);

/**
 * The path of a request URL without its query: `https://hub/internal/broadcast?x` → `/internal/broadcast`.
 */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return "/";
  const query = url.indexOf("?", start);
  return url.slice(start, query === -1 ? undefined : query);
}

/**
 * Every backend publish takes the shortest way: the same checks as the internal API's (config,
 * rate limit, bearer secret) and the same handler, without the router's matching and middleware
 * chain (a few microseconds of each publish: bench/PROFILE-BARE.md, "Second pass").
 */
async function publish(request: Request, env: Env): Promise<Response> {
  try {
    const refused = misconfigured(env);
    if (refused) return refused;
    await checkInternalCaller(request, env);
    return await handleBroadcast(request, env);
  } catch (error) {
    return renderError(error as Error);
  }
}

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    if (request.method === "POST" && pathOf(request.url) === "/internal/broadcast") return publish(request, env);
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
