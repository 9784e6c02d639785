import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiveUser, LiveUsersUpdate } from "../../src/protocol";
import { type Hub, startHub } from "../support/hub-process";
import { type Client, e2eToken, internal, openClient, waitForFrames } from "./helpers";

// Presence sweeps connections silent for 3 s (instead of 90 s) on this hub.
const STALE_AFTER_MS = 3_000;

/** A client in another process: joins `room`, navigates to `path`, then heartbeats every 500 ms. */
const CHILD_CLIENT = `
const ws = new WebSocket(process.env.HUB_URL);
ws.addEventListener("message", (event) => {
  const frame = JSON.parse(String(event.data));
  if (frame.event === "joined") ws.send(JSON.stringify({ event: "page:navigate", data: { path: process.env.NAV_PATH }, ack: 1 }));
  if (frame.event === "ack" && frame.ack === 1) process.stdout.write("ready\\n");
});
setInterval(() => ws.send('{"event":"heartbeat"}'), 500);
`;

async function startChildClient(hub: Hub, userId: string, path: string): Promise<ChildProcess> {
  const url = `${hub.wsUrl}/ws/user-${userId}?token=${encodeURIComponent(await e2eToken(userId))}`;
  const child = spawn(process.execPath, ["-e", CHILD_CLIENT], {
    env: { ...process.env, HUB_URL: url, NAV_PATH: path },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [chunk] = (await Promise.race([
    once(child.stdout as NodeJS.ReadableStream, "data"),
    new Promise((_, reject) => setTimeout(() => reject(new Error("child client not ready")), 10_000)),
  ])) as [Buffer];
  expect(String(chunk)).toContain("ready");
  return child;
}

function heartbeat(client: Client): () => void {
  const timer = setInterval(() => client.ws.send('{"event":"heartbeat"}'), 500);
  return () => clearInterval(timer);
}

const updates = (client: Client) =>
  client.frames.filter((frame) => frame.event === "live-users-update").map((frame) => frame.data as LiveUsersUpdate);
const userIn = (update: LiveUsersUpdate | undefined, userId: string): LiveUser | undefined =>
  update?.users.find((user) => user.userId === userId);

async function waitForUpdate(client: Client, check: (update: LiveUsersUpdate) => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const latest = updates(client).at(-1);
    if (latest && check(latest)) return latest;
    if (Date.now() > deadline) throw new Error(`no matching live-users-update; latest: ${JSON.stringify(latest)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function adminClient(hub: Hub): Promise<Client> {
  const admin = openClient(hub, "admin-dashboard", await e2eToken(`admin-${crypto.randomUUID()}`, ["admin"]));
  await admin.opened;
  await waitForFrames(admin, 2);
  return admin;
}

describe("presence under wrangler dev, with real sockets and processes", () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub({ vars: { PRESENCE_STALE_AFTER_MS: String(STALE_AFTER_MS) } });
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("sweeps the tab of a frozen process (socket open, no heartbeat, no close) and keeps the live one", async () => {
    const user = crypto.randomUUID();
    const admin = await adminClient(hub);
    const live = openClient(hub, `user-${user}`, await e2eToken(user));
    await live.opened;
    const stopHeartbeat = heartbeat(live);
    live.ws.send(JSON.stringify({ event: "page:navigate", data: { path: "/live" }, ack: 1 }));
    const child = await startChildClient(hub, user, "/frozen");
    try {
      await waitForUpdate(admin, (u) => userIn(u, user)?.connections === 2);
      process.kill(child.pid as number, "SIGSTOP");
      const swept = await waitForUpdate(admin, (u) => userIn(u, user)?.connections === 1, STALE_AFTER_MS * 5);
      expect(userIn(swept, user)?.path).toBe("/live");
      const served = (await (await internal(hub, "/presence", "GET")).json()) as LiveUsersUpdate;
      expect(userIn(served, user)?.connections).toBe(1);
      expect(live.ws.readyState).toBe(WebSocket.OPEN);
    } finally {
      child.kill("SIGKILL");
      stopHeartbeat();
      live.ws.close(1000);
      admin.ws.close(1000);
    }
  });

  it("leaves no ghost after a hub restart drops every socket", async () => {
    const user = crypto.randomUUID();
    const tab = openClient(hub, `user-${user}`, await e2eToken(user));
    await tab.opened;
    tab.ws.send(JSON.stringify({ event: "page:navigate", data: { path: "/before-restart" }, ack: 1 }));
    await waitForFrames(tab, 2);
    const listed = (await (await internal(hub, "/presence", "GET")).json()) as LiveUsersUpdate;
    expect(userIn(listed, user)?.path).toBe("/before-restart");

    await hub.restart();
    const admin = await adminClient(hub);
    try {
      await waitForUpdate(admin, (u) => userIn(u, user) === undefined, STALE_AFTER_MS * 5);
      const served = (await (await internal(hub, "/presence", "GET")).json()) as LiveUsersUpdate;
      expect(userIn(served, user)).toBeUndefined();
    } finally {
      admin.ws.close(1000);
    }
  });
});

describe("presence over a hub crash, with the default 90 s staleness", () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub();
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("shows a returning user's live connections at once after the hub was killed and restarted", async () => {
    const user = crypto.randomUUID();
    const tabs = [
      openClient(hub, `user-${user}`, await e2eToken(user)),
      openClient(hub, `user-${user}`, await e2eToken(user)),
    ];
    for (const [i, tab] of tabs.entries()) {
      await tab.opened;
      tab.ws.send(JSON.stringify({ event: "page:navigate", data: { path: `/tab-${i}` }, ack: 1 }));
      await waitForFrames(tab, 2);
    }
    const before = await adminClient(hub);
    await waitForUpdate(before, (u) => userIn(u, user)?.connections === 2);
    before.ws.close(1000);

    await hub.restart({ kill: true });
    const admin = await adminClient(hub);
    const back = openClient(hub, `user-${user}`, await e2eToken(user));
    try {
      await back.opened;
      back.ws.send(JSON.stringify({ event: "page:navigate", data: { path: "/back" }, ack: 1 }));
      // Well inside the 90 s a sweep would need: the returning room's snapshot replaced the two
      // connections the crash left behind.
      const update = await waitForUpdate(admin, (u) => userIn(u, user)?.path === "/back", 30_000);
      expect(userIn(update, user)?.connections).toBe(1);
    } finally {
      back.ws.close(1000);
      admin.ws.close(1000);
    }
  });
});
