/**
 * The hub's Worker: authenticates every upgrade, routes each room to its own Durable Object,
 * and serves the internal API backends publish through.
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import { configProblem, type Env } from "./env";
import { log } from "./ops/log";
import { ErrorCode } from "./protocol";
import { devRoutes } from "./worker/dev-routes";
import { errorResponse } from "./worker/http-error";
import { internalApi } from "./worker/internal-api";
import { renderError } from "./worker/render-error";
import { handleAccessCheck, handleUpgrade } from "./worker/ws-route";

export { PresenceObject } from "./presence/presence-object";
export { RoomObject } from "./room/room-object";

const app = new Hono<{ Bindings: Env }>();

// Fail closed: without its secrets the hub serves nothing. This middleware never edits a response.
app.use("*", async (c, next) => {
  const problem = configProblem(c.env);
  if (problem) {
    log.error({ event: "worker.misconfigured", where: "worker", code: ErrorCode.misconfigured });
    return errorResponse(500, ErrorCode.misconfigured, problem);
  }
  await next();
});

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

export default app satisfies ExportedHandler<Env>;
