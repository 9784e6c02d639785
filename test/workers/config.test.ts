import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { tokenFor } from "./helpers";

async function call(path: string, overrides: Record<string, string | undefined>, init?: RequestInit) {
  const res = await worker.fetch(new Request(`https://hub.test${path}`, init), { ...env, ...overrides }, {
    waitUntil() {},
    passThroughOnException() {},
  } as unknown as ExecutionContext);
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
}

describe("a hub without its secrets fails closed", () => {
  const upgradeInit = async () => ({
    headers: { Upgrade: "websocket", Authorization: `Bearer ${await tokenFor("u1", ["admin"])}` },
  });

  it("refuses every upgrade with 500 naming JWT_SECRET when it is missing", async () => {
    const res = await call("/ws/admin-dashboard", { JWT_SECRET: undefined }, await upgradeInit());
    expect(res.status).toBe(500);
    expect(res.body.error).toEqual({
      code: "misconfigured",
      message: expect.stringContaining("JWT_SECRET is not set"),
    });
  });

  it("refuses internal calls with 500 naming BROADCAST_SECRET when it is missing", async () => {
    const res = await call(
      "/internal/broadcast",
      { BROADCAST_SECRET: undefined },
      { method: "POST", headers: { Authorization: "Bearer " }, body: "{}" },
    );
    expect(res.status).toBe(500);
    expect(res.body.error?.message).toContain("BROADCAST_SECRET is not set");
  });

  it("refuses a short secret and says how to make a good one", async () => {
    const res = await call("/health", { JWT_SECRET: "short" });
    expect(res.status).toBe(500);
    expect(res.body.error?.message).toContain("openssl rand");
  });

  it("fails even the routes that need no secret, so a broken deploy is noticed", async () => {
    expect((await call("/health", { BROADCAST_SECRET: "" })).status).toBe(500);
    expect((await call("/health", {})).status).toBe(200);
  });
});
