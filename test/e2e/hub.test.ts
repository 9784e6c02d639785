import { createServer, type Server } from "node:http";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2E_JWT_SECRET, type Hub, startHub } from "../support/hub-process";
import { e2eToken, internal, openClient, waitForFrames } from "./helpers";

describe("the hub under wrangler dev, with real WebSocket clients", () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub({ vars: { ALLOWED_ORIGINS: "https://app.roomcast.test" } });
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("delivers a backend's broadcast to the kitchen and a granted customer, and revokes", async () => {
    const order = `order-${crypto.randomUUID()}`;
    const customerToken = await e2eToken("cust-1");
    const kitchen = openClient(hub, "restaurant-kitchen", await e2eToken("k1", ["kitchen"]));
    const tracker = openClient(hub, order, await e2eToken("k2", ["staff"]));
    await Promise.all([kitchen.opened, tracker.opened]);

    expect((await internal(hub, `/rooms/${order}/members/cust-1`, "PUT")).status).toBe(200);
    const customer = openClient(hub, order, customerToken);
    await customer.opened;
    await waitForFrames(customer, 1);

    const created = new Date().toISOString();
    const placed = await internal(hub, "/broadcast", "POST", {
      rooms: ["restaurant-kitchen"],
      event: "new-order",
      data: {
        orderId: order.slice(6),
        customerName: "Ada",
        items: [{ name: "Soup", quantity: 1 }],
        createdAt: created,
      },
    });
    expect(await placed.json()).toMatchObject({ delivered: { "restaurant-kitchen": expect.any(Number) } });
    expect((await waitForFrames(kitchen, 2))[1]).toMatchObject({ event: "new-order", room: "restaurant-kitchen" });

    const update = await internal(hub, "/broadcast", "POST", {
      rooms: [order],
      event: "order-status-updated",
      data: { orderId: 7, status: "ready" },
    });
    expect(await update.json()).toEqual({ delivered: { [order]: 2 } });
    for (const client of [tracker, customer]) {
      expect((await waitForFrames(client, 2))[1]).toEqual({
        event: "order-status-updated",
        room: order,
        data: { orderId: 7, status: "ready" },
        seq: 1,
        epoch: expect.stringMatching(/^[0-9a-f]+$/),
      });
    }

    const revoked = await internal(hub, `/rooms/${order}/members/cust-1`, "DELETE");
    expect(await revoked.json()).toMatchObject({ closed: 1 });
    // The hub announces its close, so the client need not wait for the TCP teardown.
    expect((await waitForFrames(customer, 3))[2]).toEqual({
      event: "closing",
      data: { code: 4003, reason: "access revoked" },
    });
    expect((await customer.closed).code).toBe(4003);
    const again = openClient(hub, order, customerToken);
    await expect(again.opened).rejects.toThrow();
    kitchen.ws.close(1000);
    tracker.ws.close(1000);
  });

  it("answers heartbeats and the room:info ack over a real socket, and completes the close handshake", async () => {
    const client = openClient(hub, "pool-staff", await e2eToken("p1", ["pool"]));
    await client.opened;
    client.ws.send('{"event":"heartbeat"}');
    client.ws.send('{"event":"room:info","ack":5}');
    const frames = await waitForFrames(client, 3);
    expect(frames[1]).toEqual({ event: "heartbeat-ack" });
    expect(frames[2]).toMatchObject({ event: "ack", ack: 5, data: { room: "pool-staff" } });
    client.ws.close(1000, "bye");
    expect(await client.closed).toEqual({ code: 1000, reason: "bye" });
  });

  it("refuses before the upgrade with the documented statuses, readable through POST /access", async () => {
    const refusals: [string, RequestInit, number, string][] = [
      ["/ws/restaurant-kitchen", {}, 426, "upgrade_required"],
      ["/access/nope", { method: "POST", body: await e2eToken("u1", ["admin"]) }, 400, "invalid_room"],
      ["/access/admin-dashboard", { method: "POST", body: "x.y.z" }, 401, "unauthorized"],
      ["/access/admin-dashboard", { method: "POST", body: await e2eToken("u1", ["staff"]) }, 403, "forbidden"],
      [
        "/access/admin-dashboard",
        { method: "POST", body: await e2eToken("u1", ["admin"]), headers: { Origin: "https://evil.test" } },
        403,
        "origin_refused",
      ],
    ];
    for (const [path, init, status, code] of refusals) {
      const res = await fetch(`${hub.url}${path}`, init);
      expect(res.status, path).toBe(status);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
  });

  it("never writes the token into its logs", async () => {
    const token = await e2eToken("log-check", ["admin"]);
    const client = openClient(hub, "admin-dashboard", token);
    await client.opened;
    client.ws.close(1000);
    await client.closed;
    expect(hub.output()).toContain("/ws/admin-dashboard");
    expect(hub.output()).not.toContain(token.split(".")[2]);
  });

  it("never writes who joined into its logs, whatever characters their name has", async () => {
    // A raw header holding a non-ASCII name made the runtime print the whole header it was in.
    const userId = `pii-${crypto.randomUUID().slice(0, 8)}`;
    const name = "Zoë Ångström 山田";
    const token = await new SignJWT({ roles: ["kitchen"], name })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(userId)
      .setExpirationTime(Math.floor(Date.now() / 1000) + 600)
      .sign(new TextEncoder().encode(E2E_JWT_SECRET));
    const client = openClient(hub, "restaurant-kitchen", token);
    await client.opened;
    client.ws.send(JSON.stringify({ event: "room:info", ack: 1 }));
    const [, info] = await waitForFrames(client, 2);
    expect(info).toMatchObject({ ack: 1, data: { you: { userId, name } } });
    client.ws.close(1000);
    await client.closed;
    const log = hub.output();
    expect(log).toContain("/ws/restaurant-kitchen");
    for (const secret of [userId, "Zoë", "Ångström", "山田", "X-Roomcast-Connect"]) expect(log).not.toContain(secret);
  });
});

describe("tokens from an identity provider (JWKS)", () => {
  let hub: Hub;
  let jwksServer: Server;
  type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
  let privateKey: KeyPair["privateKey"];
  let publicPem: string;

  beforeAll(async () => {
    const pair = await generateKeyPair("RS256", { extractable: true });
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    const spki = Buffer.from(await crypto.subtle.exportKey("spki", pair.publicKey)).toString("base64");
    publicPem = `-----BEGIN PUBLIC KEY-----\n${spki}\n-----END PUBLIC KEY-----\n`;
    jwksServer = createServer((_, res) => {
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
    const address = jwksServer.address();
    const port = typeof address === "object" && address ? address.port : 0;
    hub = await startHub({
      vars: { JWT_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`, JWT_ISSUER: "https://idp.test" },
    });
  });
  afterAll(async () => {
    await hub?.stop();
    jwksServer?.close();
  });

  const access = (token: string) => fetch(`${hub.url}/access/restaurant-kitchen`, { method: "POST", body: token });

  it("admits an RS256 token signed by the provider's key", async () => {
    const token = await new SignJWT({ roles: ["kitchen"] })
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setSubject("idp-user")
      .setIssuer("https://idp.test")
      .setExpirationTime("5m")
      .sign(privateKey);
    expect((await access(token)).status).toBe(200);
    const client = openClient(hub, "restaurant-kitchen", token);
    await client.opened;
    client.ws.close(1000);
  });

  it("refuses an HS256 token whose secret is the provider's public key (algorithm confusion)", async () => {
    const token = await new SignJWT({ roles: ["kitchen"] })
      .setProtectedHeader({ alg: "HS256", kid: "k1" })
      .setSubject("idp-user")
      .setIssuer("https://idp.test")
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(publicPem));
    expect((await access(token)).status).toBe(401);
  });

  it("refuses an RS256 token from another key or issuer", async () => {
    const other = await generateKeyPair("RS256");
    const foreign = await new SignJWT({ roles: ["kitchen"] })
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setSubject("idp-user")
      .setIssuer("https://idp.test")
      .setExpirationTime("5m")
      .sign(other.privateKey);
    expect((await access(foreign)).status).toBe(401);
    const wrongIssuer = await new SignJWT({ roles: ["kitchen"] })
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setSubject("idp-user")
      .setIssuer("https://evil.test")
      .setExpirationTime("5m")
      .sign(privateKey);
    expect((await access(wrongIssuer)).status).toBe(401);
  });
});
