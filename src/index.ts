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

app.all("/ws/:room", (c) => handleUpgrade(c.req.raw, c.env, c.req.param("room")));
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

/** A room segment the router would hand on unchanged: nothing to decode, no further segment. */
const PLAIN_UPGRADE_PATH = /^\/ws\/([A-Za-z0-9_-]+)$/;

/**
 * What the Worker answers past the router: every backend publish and every upgrade of a plain
 * room name, the commonest requests by far, with the same checks (config, then the route's own)
 * and the same handlers as the router's routes, without its matching and middleware chain (a few
 * microseconds of each publish, about 25 of each upgrade: bench/PUBLISH-PATH.md).
 */
async function answerDirectly(env: Env, handle: () => Promise<Response>): Promise<Response> {
  try {
    return misconfigured(env) ?? (await handle());
  } catch (error) {
    return renderError(error as Error);
  }
}

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    const path = pathOf(request.url);
    if (request.method === "POST" && path === "/internal/broadcast") {
      return answerDirectly(env, async () => {
        await checkInternalCaller(request, env);
        return handleBroadcast(request, env);
      });
    }
    const room = PLAIN_UPGRADE_PATH.exec(path)?.[1];
    if (room !== undefined) return answerDirectly(env, () => handleUpgrade(request, env, room));
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
