import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { ConnectionReport } from "../../src/presence/presence-store";
import { HEARTBEAT_FRAME, type LiveUser, type LiveUsersUpdate, PRESENCE } from "../../src/protocol";
import {
  errorOf,
  type Frame,
  internal,
  join,
  request,
  sleep,
  type TestSocket,
  tokenFor,
  uniqueId,
  upgrade,
  waitForClose,
  waitForFrames,
} from "./helpers";

// vitest.config.ts sets PRESENCE_STALE_AFTER_MS to 3000: a connection silent for 3 s is swept
// (the sweep runs every second). Tabs heartbeat every 500 ms unless a test wants them silent.
const STALE_AFTER_MS = 3_000;

const opened: TestSocket[] = [];
const timers: ReturnType<typeof setInterval>[] = [];

afterEach(() => {
  for (const timer of timers.splice(0)) clearInterval(timer);
  for (const socket of opened.splice(0)) {
    try {
      socket.ws.close(1000);
    } catch {
      // already closed
    }
  }
});

/** A tab of `userId`: a socket on their personal room that heartbeats, unless `silent`. */
async function tab(userId: string, options: { roles?: string[]; name?: string; silent?: boolean } = {}) {
  const socket = await join(`user-${userId}`, await tokenFor(userId, options.roles ?? [], options.name));
  opened.push(socket);
  if (!options.silent) heartbeat(socket);
  return socket;
}

function heartbeat(socket: TestSocket): void {
  const timer = setInterval(() => {
    try {
      socket.send(HEARTBEAT_FRAME);
    } catch {
      clearInterval(timer);
    }
  }, 500);
  timers.push(timer);
}

/** An admin on the dashboard, once the list it gets on joining has arrived. */
async function admin(): Promise<TestSocket> {
  const socket = await join("admin-dashboard", await tokenFor(`admin-${uniqueId()}`, ["admin"], "Ada"));
  opened.push(socket);
  await waitForFrames(socket, 2);
  return socket;
}

const updates = (socket: TestSocket): LiveUsersUpdate[] =>
  socket.frames.filter((frame) => frame.event === "live-users-update").map((frame) => frame.data as LiveUsersUpdate);

const userIn = (update: LiveUsersUpdate | undefined, userId: string): LiveUser | undefined =>
  update?.users.find((user) => user.userId === userId);

/** Waits until the dashboard's latest update satisfies `check`; returns that update. */
async function waitForUpdate(
  socket: TestSocket,
  check: (update: LiveUsersUpdate) => boolean,
  timeoutMs = 5_000,
): Promise<LiveUsersUpdate> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const latest = updates(socket).at(-1);
    if (latest && check(latest)) return latest;
    if (Date.now() > deadline) {
      throw new Error(`no matching live-users-update within ${timeoutMs} ms; latest: ${JSON.stringify(latest)}`);
    }
    await sleep(10);
  }
}

let ackCounter = 1_000;
function navigate(socket: TestSocket, path: string): Promise<Frame> {
  return request(socket, "page:navigate", { path }, ackCounter++);
}

async function presenceList(): Promise<LiveUsersUpdate> {
  const res = await internal("/presence", { method: "GET" });
  expect(res.status).toBe(200);
  return (await res.json()) as LiveUsersUpdate;
}

async function evictIfRunning(stub: DurableObjectStub): Promise<void> {
  try {
    await evictDurableObject(stub);
  } catch {
    // Not running (already hibernated): nothing in memory to lose.
  }
}

describe("live users on the admin dashboard", () => {
  it("shows two users with two tabs each, on the page each last navigated to", async () => {
    const dashboard = await admin();
    const [alice, bob] = [uniqueId(), uniqueId()];
    const a1 = await tab(alice, { name: "Alice" });
    const a2 = await tab(alice, { name: "Alice" });
    const b1 = await tab(bob, { name: "Bob", roles: ["staff"] });
    const b2 = await tab(bob, { name: "Bob", roles: ["staff"] });

    expect((await navigate(a1, "/menu")).data).toEqual({ path: "/menu" });
    await navigate(b1, "/pool");
    await navigate(a2, "/orders/7");
    await navigate(b2, "/spa");

    const update = await waitForUpdate(
      dashboard,
      (u) => userIn(u, alice)?.path === "/orders/7" && userIn(u, bob)?.path === "/spa",
    );
    expect(userIn(update, alice)).toEqual({
      userId: alice,
      name: "Alice",
      roles: [],
      path: "/orders/7",
      connections: 2,
      connectedAt: expect.any(Number),
      lastSeenAt: expect.any(Number),
    });
    expect(userIn(update, bob)).toMatchObject({ name: "Bob", roles: ["staff"], path: "/spa", connections: 2 });
    const first = userIn(update, alice);
    expect(first?.connectedAt).toBeLessThanOrEqual(first?.lastSeenAt ?? 0);
    expect(update.total).toBeGreaterThanOrEqual(2);
    expect(update.connections).toBeGreaterThanOrEqual(4);
    expect(update.byRole.staff).toBeGreaterThanOrEqual(1);
    expect(update.byRole.customer).toBeGreaterThanOrEqual(1);
    // Most recently active first: bob navigated last.
    const order = update.users.map((user) => user.userId);
    expect(order.indexOf(bob)).toBeLessThan(order.indexOf(alice));

    await navigate(a1, "/menu/desserts");
    const moved = await waitForUpdate(dashboard, (u) => userIn(u, alice)?.path === "/menu/desserts");
    expect(userIn(moved, alice)?.connections).toBe(2);
    expect(userIn(moved, bob)?.path).toBe("/spa");
  });

  it("sends the full list to an admin as soon as they join", async () => {
    const user = uniqueId();
    const socket = await tab(user, { name: "Cleo" });
    await navigate(socket, "/checkout");
    const dashboard = await admin();
    expect(dashboard.frames[1]?.event).toBe("live-users-update");
    expect(userIn(updates(dashboard)[0], user)).toMatchObject({ name: "Cleo", path: "/checkout", connections: 1 });
  });

  it("removes a closed tab at once, and the user with their last tab", async () => {
    const dashboard = await admin();
    const user = uniqueId();
    const [first, second] = [await tab(user), await tab(user)];
    await navigate(first, "/a");
    await navigate(second, "/b");
    await waitForUpdate(dashboard, (u) => userIn(u, user)?.connections === 2);

    const started = Date.now();
    first.ws.close(1000, "tab closed");
    const after = await waitForUpdate(dashboard, (u) => userIn(u, user)?.connections === 1);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(userIn(after, user)?.path).toBe("/b");
    expect(userIn(await presenceList(), user)?.connections).toBe(1);

    second.ws.close(1000, "tab closed");
    await waitForUpdate(dashboard, (u) => userIn(u, user) === undefined);
    expect(userIn(await presenceList(), user)).toBeUndefined();
  });

  it("sweeps a connection that vanished without a close, and keeps the tab that heartbeats", async () => {
    const dashboard = await admin();
    const [user, gone] = [uniqueId(), uniqueId()];
    const alive = await tab(user);
    const silent = await tab(user, { silent: true });
    const onlySilent = await tab(gone, { silent: true });
    await navigate(silent, "/silent");
    await navigate(alive, "/alive");
    await navigate(onlySilent, "/away");
    await waitForUpdate(dashboard, (u) => userIn(u, user)?.connections === 2 && userIn(u, gone) !== undefined);

    // Neither silent socket sends anything or closes; time passes.
    const swept = await waitForUpdate(
      dashboard,
      (u) => userIn(u, user)?.connections === 1 && userIn(u, gone) === undefined,
      STALE_AFTER_MS * 4,
    );
    expect(userIn(swept, user)?.path).toBe("/alive");
    // The hub closed the silent sockets, saying why.
    for (const socket of [silent, onlySilent]) {
      expect(socket.frames.at(-1)).toEqual({ event: "closing", data: { code: 1011, reason: "no heartbeat" } });
    }
    expect(alive.ws.readyState).toBe(WebSocket.OPEN);

    // The heartbeating tab stays through later sweeps, and its heartbeats count as signs of life.
    await sleep(STALE_AFTER_MS + 1_500);
    expect(alive.ws.readyState).toBe(WebSocket.OPEN);
    const later = userIn(await presenceList(), user);
    expect(later?.connections).toBe(1);
    expect(later?.lastSeenAt).toBeGreaterThan(Date.now() - STALE_AFTER_MS);
  });

  it("coalesces a burst of 500 navigations into a few frames per second that end on the last page", async () => {
    const dashboard = await admin();
    const user = uniqueId();
    const socket = await tab(user);
    await waitForUpdate(dashboard, (u) => userIn(u, user) !== undefined);
    const arrivals: number[] = [];
    dashboard.ws.addEventListener("message", (event) => {
      if (String(event.data).startsWith('{"event":"live-users-update"')) arrivals.push(Date.now());
    });

    // 500 navigations over about 1.5 s: 10 frames every 30 ms.
    const started = Date.now();
    for (let i = 0; i < 500; i++) {
      socket.send({ event: "page:navigate", data: { path: `/p/${i}` }, ack: i });
      if (i % 10 === 9) await sleep(30);
    }
    const last = await waitForUpdate(dashboard, (u) => userIn(u, user)?.path === "/p/499", 15_000);
    const elapsed = Date.now() - started;
    await sleep(PRESENCE.coalesceMs * 2);

    expect(socket.frames.filter((frame) => frame.event === "ack")).toHaveLength(500);
    expect(userIn(last, user)?.path).toBe("/p/499");
    expect(userIn(updates(dashboard).at(-1), user)?.path).toBe("/p/499");
    expect(userIn(await presenceList(), user)?.path).toBe("/p/499");
    // At most one frame per coalescing period (250 ms): never more than 5 within any second.
    expect(arrivals.length).toBeGreaterThanOrEqual(2);
    expect(arrivals.length).toBeLessThanOrEqual(Math.ceil(elapsed / PRESENCE.coalesceMs) + 2);
    for (const at of arrivals) {
      expect(arrivals.filter((other) => other >= at && other < at + 1_000).length).toBeLessThanOrEqual(5);
    }
  });

  it("caps the list at the 200 most recently active users and counts everyone in the totals", async () => {
    const count = PRESENCE.maxListedUsers + 20;
    const users = Array.from({ length: count }, () => uniqueId());
    for (let i = 0; i < count; i += 20) {
      await Promise.all(users.slice(i, i + 20).map((user) => tab(user, { roles: ["pool"] })));
    }
    const dashboard = await admin();
    const update = updates(dashboard)[0] as LiveUsersUpdate;
    expect(update.users).toHaveLength(PRESENCE.maxListedUsers);
    expect(update.truncated).toBe(true);
    expect(update.total).toBeGreaterThanOrEqual(count);
    expect(update.connections).toBeGreaterThanOrEqual(count);
    expect(update.byRole.pool).toBeGreaterThanOrEqual(count);
    const seen = update.users.map((user) => user.lastSeenAt);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    // The newest users are listed; the first ones joined are not all there.
    expect(update.users.map((user) => user.userId)).toContain(users.at(-1));
    // Bounded: 200 users of at most a 512-character path and a 100-character name each.
    expect(JSON.stringify(update).length).toBeLessThan(200 * 1024);
  }, 60_000);
});

describe("role totals", () => {
  it("counts roles named like Object's own properties, so the totals still cover everyone", async () => {
    const dashboard = await admin();
    const [proto, ctor] = [uniqueId(), uniqueId()];
    await tab(proto, { roles: ["__proto__"] });
    await tab(ctor, { roles: ["constructor", "toString"] });
    const update = await waitForUpdate(
      dashboard,
      (u) => userIn(u, proto) !== undefined && userIn(u, ctor) !== undefined,
    );
    expect(Object.hasOwn(update.byRole, "__proto__")).toBe(true);
    expect(Object.getOwnPropertyDescriptor(update.byRole, "__proto__")?.value).toBeGreaterThanOrEqual(1);
    expect(update.byRole.constructor).toBeGreaterThanOrEqual(1);
    expect(update.byRole.toString).toBeGreaterThanOrEqual(1);
    const listed = await presenceList();
    expect(Object.hasOwn(listed.byRole, "__proto__")).toBe(true);
  });
});

describe("user:update", () => {
  it("refuses to set roles or userId with forbidden and changes nothing", async () => {
    const dashboard = await admin();
    const user = uniqueId();
    const socket = await tab(user, { name: "Bo", roles: ["staff"] });
    await navigate(socket, "/home");
    await waitForUpdate(dashboard, (u) => userIn(u, user)?.path === "/home");

    for (const data of [{ roles: ["admin"] }, { userId: "someone-else" }, { name: "Boss", roles: ["admin"] }]) {
      const answer = await request(socket, "user:update", data, ackCounter++);
      expect(answer.event, JSON.stringify(data)).toBe("error");
      expect(answer.data).toMatchObject({ code: "forbidden" });
    }
    const info = await request(socket, "room:info", undefined, ackCounter++);
    expect(info.data).toMatchObject({ you: { userId: user, name: "Bo", roles: ["staff"] } });
    await sleep(PRESENCE.coalesceMs * 2);
    expect(userIn(updates(dashboard).at(-1), user)).toMatchObject({ userId: user, name: "Bo", roles: ["staff"] });
    expect(userIn(await presenceList(), user)).toMatchObject({ name: "Bo", roles: ["staff"] });
  });

  it("changes the display name on every tab of the user, new ones included, and nothing else", async () => {
    const dashboard = await admin();
    const user = uniqueId();
    const first = await tab(user, { name: "Dee", roles: ["pool"] });
    const second = await tab(user, { name: "Dee", roles: ["pool"] });
    await navigate(second, "/lounge");

    const answer = await request(first, "user:update", { name: "  Dee D.  " }, ackCounter++);
    expect(answer).toMatchObject({ event: "ack", data: { name: "Dee D." } });
    const renamed = await waitForUpdate(dashboard, (u) => userIn(u, user)?.name === "Dee D.");
    expect(userIn(renamed, user)).toMatchObject({ roles: ["pool"], path: "/lounge", connections: 2 });

    await tab(user, { name: "Dee", roles: ["pool"] });
    const third = await waitForUpdate(dashboard, (u) => userIn(u, user)?.connections === 3);
    expect(userIn(third, user)?.name).toBe("Dee D.");

    expect((await request(first, "user:update", {}, ackCounter++)).data).toMatchObject({ code: "invalid_payload" });
    expect((await request(first, "user:update", { name: "  " }, ackCounter++)).data).toMatchObject({
      code: "invalid_payload",
    });
  });
});

describe("presence frames and access", () => {
  it("refuses non-admins from admin-dashboard", async () => {
    for (const roles of [[], ["staff"], ["support", "kitchen"]]) {
      const res = await upgrade("admin-dashboard", { token: await tokenFor(uniqueId(), roles) });
      expect(res.status, roles.join(",")).toBe(403);
      expect((await errorOf(res)).code).toBe("forbidden");
    }
  });

  it("refuses paths over 512 characters, and presence events outside a personal room", async () => {
    const socket = await tab(uniqueId());
    const long = await request(socket, "page:navigate", { path: `/${"x".repeat(PRESENCE.maxPathLength)}` }, 1);
    expect(long.data).toMatchObject({ code: "invalid_payload" });
    expect((await navigate(socket, `/${"x".repeat(PRESENCE.maxPathLength - 1)}`)).event).toBe("ack");

    const kitchen = await join("restaurant-kitchen", await tokenFor(uniqueId(), ["kitchen"]));
    opened.push(kitchen);
    expect((await request(kitchen, "page:navigate", { path: "/x" }, 2)).data).toMatchObject({ code: "unknown_event" });
    expect((await request(kitchen, "user:update", { name: "K" }, 3)).data).toMatchObject({ code: "unknown_event" });
  });

  it("serves the same list on GET /internal/presence, and only with the bearer", async () => {
    const dashboard = await admin();
    const user = uniqueId();
    await navigate(await tab(user, { name: "Eve", roles: ["admin"] }), "/admin");
    const shown = await waitForUpdate(dashboard, (u) => userIn(u, user)?.path === "/admin");
    const served = await presenceList();
    expect(userIn(served, user)).toEqual(userIn(shown, user));
    expect(Object.keys(served).sort()).toEqual(["byRole", "connections", "total", "truncated", "users"]);

    expect((await internal("/presence", { method: "GET", secret: null })).status).toBe(401);
    expect((await internal("/presence", { method: "GET", secret: "wrong".repeat(10) })).status).toBe(401);
  });
});

describe("presence across hibernation and eviction", () => {
  it("keeps every connection, navigation and close working after all objects were evicted", async () => {
    const user = uniqueId();
    const [first, second] = [await tab(user, { name: "Fay" }), await tab(user, { name: "Fay" })];
    await navigate(first, "/before");
    const dashboard = await admin();
    await waitForUpdate(dashboard, (u) => userIn(u, user)?.path === "/before");

    for (const stub of [
      env.PRESENCE.getByName("global"),
      env.ROOMS.getByName(`user-${user}`),
      env.ROOMS.getByName("admin-dashboard"),
    ]) {
      await evictIfRunning(stub);
    }

    const late = await admin();
    expect(userIn(updates(late)[0], user)).toMatchObject({ name: "Fay", path: "/before", connections: 2 });

    await navigate(second, "/after");
    for (const socket of [dashboard, late]) {
      await waitForUpdate(socket, (u) => userIn(u, user)?.path === "/after");
    }
    await evictIfRunning(env.ROOMS.getByName(`user-${user}`));
    await evictIfRunning(env.PRESENCE.getByName("global"));
    first.ws.close(1000);
    await waitForUpdate(late, (u) => userIn(u, user)?.connections === 1);

    // Heartbeats after an eviction still count: the remaining tab outlives several sweeps.
    await sleep(STALE_AFTER_MS + 1_500);
    expect(second.ws.readyState).toBe(WebSocket.OPEN);
    expect(userIn(await presenceList(), user)).toMatchObject({ connections: 1, path: "/after" });
    second.ws.close(1000);
    await waitForUpdate(late, (u) => userIn(u, user) === undefined);
  });

  it("sweeps a vanished connection even when its room was evicted in between", async () => {
    const dashboard = await admin();
    const user = uniqueId();
    const silent = await tab(user, { silent: true });
    await navigate(silent, "/gone");
    await waitForUpdate(dashboard, (u) => userIn(u, user) !== undefined);
    await evictIfRunning(env.ROOMS.getByName(`user-${user}`));
    await evictIfRunning(env.PRESENCE.getByName("global"));
    await waitForUpdate(dashboard, (u) => userIn(u, user) === undefined, STALE_AFTER_MS * 4);
    expect((await waitForClose(silent)).code).toBe(1011);
  });
});

describe("the presence object's snapshots", () => {
  // Snapshots from one room go one at a time; these call the object directly to test ordering.
  const presence = () => env.PRESENCE.getByName("global");
  const connection = (id: string, path: string | null, extra: Partial<ConnectionReport> = {}): ConnectionReport => ({
    id,
    roles: [],
    path,
    connectedAt: Date.now(),
    movedAt: Date.now(),
    seenAt: Date.now(),
    ...extra,
  });

  it("never lets an older snapshot undo a newer one", async () => {
    const [user, id] = [uniqueId(), uniqueId()];
    await presence().reportUser({ userId: user, version: 3, connections: [connection(id, "/newer")] });
    await presence().reportUser({ userId: user, version: 2, connections: [connection(id, "/older")] });
    expect(userIn(await presenceList(), user)?.path).toBe("/newer");
    await presence().reportUser({ userId: user, version: 4, connections: [connection(id, "/newer", { name: "Gus" })] });
    expect(userIn(await presenceList(), user)).toMatchObject({ name: "Gus", path: "/newer" });
    // The user closed their last tab; a late snapshot from before cannot bring it back.
    await presence().reportUser({ userId: user, version: 6, connections: [] });
    expect(userIn(await presenceList(), user)).toBeUndefined();
  });

  it("replaces what it knew of a user, so connections a restart left behind vanish at once", async () => {
    const user = uniqueId();
    const dashboard = await admin();
    // What presence kept from before a restart: two tabs whose sockets are gone.
    await presence().reportUser({
      userId: user,
      version: 1,
      connections: [connection(uniqueId(), "/menu"), connection(uniqueId(), "/cart")],
    });
    await waitForUpdate(dashboard, (u) => userIn(u, user)?.connections === 2);
    // The user comes back with one tab: their personal room's first snapshot says so.
    const back = await tab(user);
    await navigate(back, "/order/42");
    const update = await waitForUpdate(dashboard, (u) => userIn(u, user)?.path === "/order/42");
    expect(userIn(update, user)?.connections).toBe(1);
  });

  it("shows a higher version after an eviction, also for a change nothing showed before it", async () => {
    const first = await presence().liveUsers();
    await presence().reportUser({ userId: uniqueId(), version: 1, connections: [connection(uniqueId(), "/a")] });
    // Evicted before any push or read showed that change's version.
    await evictIfRunning(presence());
    const second = await presence().liveUsers();
    expect(second.epoch).toBe(first.epoch);
    expect(second.version).toBeGreaterThan(first.version);
    await presence().reportUser({ userId: uniqueId(), version: 1, connections: [connection(uniqueId(), "/b")] });
    const third = await presence().liveUsers();
    expect(third.version).toBeGreaterThan(second.version);
    await evictIfRunning(presence());
    expect((await presence().liveUsers()).version).toBeGreaterThanOrEqual(third.version);
  });

  it("drops connections whose personal room has no such socket at the next sweep", async () => {
    const user = uniqueId();
    const past = Date.now() - STALE_AFTER_MS - 1_000;
    await presence().reportUser({
      userId: user,
      version: 1,
      connections: [connection(uniqueId(), "/ghost", { connectedAt: past, movedAt: past, seenAt: past })],
    });
    expect(userIn(await presenceList(), user)?.path).toBe("/ghost");
    const deadline = Date.now() + STALE_AFTER_MS * 2;
    while (userIn(await presenceList(), user) !== undefined) {
      if (Date.now() > deadline) throw new Error("the ghost connection was never swept");
      await sleep(100);
    }
  });
});

describe("joins never wait on presence", () => {
  it("completes a personal-room join, joined frame and all, while presence is stalled; the report arrives once it answers", async () => {
    const user = uniqueId();
    let release: () => void = () => {};
    const stalled = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Presence takes no call until released, as if it were busy or unreachable.
    let blocking = false;
    const blocked = runInDurableObject(env.PRESENCE.getByName("global"), (_, state) => {
      blocking = true;
      return state.blockConcurrencyWhile(() => stalled);
    });
    while (!blocking) await sleep(1);

    const socket = await join(`user-${user}`, await tokenFor(user));
    expect(socket.frames[0]).toMatchObject({ event: "joined", data: { userId: user } });
    // A navigation is answered at once too.
    expect((await navigate(socket, "/while-stalled")).data).toEqual({ path: "/while-stalled" });
    opened.push(socket);
    heartbeat(socket);

    release();
    await blocked;
    const deadline = Date.now() + 5_000;
    while (userIn(await presenceList(), user)?.path !== "/while-stalled") {
      if (Date.now() > deadline) throw new Error("the report never reached presence once it answered");
      await sleep(20);
    }
  });
});
