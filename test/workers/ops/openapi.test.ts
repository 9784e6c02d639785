/**
 * The OpenAPI document covers every route the internal API serves (read from the Hono app itself),
 * and is served only with the bearer. Its agreement with the handlers, request by request, is
 * tested end to end (test/e2e/openapi.test.ts: the JSON Schema validator it needs compiles code,
 * which the Workers runtime does not allow).
 */
import { describe, expect, it } from "vitest";
import { internalApi } from "../../../src/worker/internal-api";
import { internal } from "../helpers";

describe("GET /internal/openapi.json", () => {
  it("describes every route of the internal API, method by method", async () => {
    const res = await internal("/openapi.json", { method: "GET" });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe("3.1.0");
    const served = internalApi.routes
      .filter((route) => route.method !== "ALL")
      .map((route) => `${route.method.toLowerCase()} /internal${route.path.replace(/:([A-Za-z]+)/g, "{$1}")}`);
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m} ${path}`),
    );
    expect(served.length).toBeGreaterThan(5);
    for (const route of served) expect(documented).toContain(route);
    expect(documented).toContain("post /access/{room}");
  });

  it("is served only with the bearer, like the rest of /internal", async () => {
    expect((await internal("/openapi.json", { method: "GET", secret: null })).status).toBe(401);
  });
});
