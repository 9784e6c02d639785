/**
 * The hub's Worker: authenticates every upgrade, routes each room to its own Durable Object,
 * and serves the internal API backends publish through.
 */
import { Hono } from "hono";
import { configProblem, type Env } from "./env";
import { ErrorCode } from "./protocol";
import { devRoutes } from "./worker/dev-routes";
import { errorResponse, HttpError } from "./worker/http-error";
import { internalApi } from "./worker/internal-api";
import { handleAccessCheck, handleUpgrade } from "./worker/ws-route";

export { PresenceObject } from "./presence/presence-object";
export { RoomObject } from "./room/room-object";

const app = new Hono<{ Bindings: Env }>();

// Fail closed: without its secrets the hub serves nothing. This middleware never edits a response.
app.use("*", async (c, next) => {
  const problem = configProblem(c.env);
  if (problem) {
    console.error("hub misconfigured:", problem);
    return errorResponse(500, ErrorCode.misconfigured, problem);
  }
  await next();
});

app.all("/ws/:room", handleUpgrade);
app.all("/ws/*", () => errorResponse(400, ErrorCode.invalidRoom, "unknown room name: see the room table in README.md"));
app.post("/access/:room", handleAccessCheck);
app.route("/internal", internalApi);
app.route("/dev", devRoutes);
app.get("/health", (c) => c.json({ ok: true }));

app.notFound(() => errorResponse(404, ErrorCode.notFound, "no such route"));
app.onError((error) => {
  if (error instanceof HttpError) return errorResponse(error.status, error.code, error.message, error.headers);
  // Log without the URL: browsers put the token in the query string.
  console.error("worker request failed", error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  return errorResponse(500, ErrorCode.internal, "the hub failed to handle this request");
});

export default app satisfies ExportedHandler<Env>;
