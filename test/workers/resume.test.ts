import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { HISTORY } from "../../src/protocol";
import {
  broadcast,
  errorOf,
  internal,
  join,
  joinedOf,
  orderStatus,
  request,
  settled,
  signToken,
  tokenFor,
  uniqueId,
  upgrade,
  waitForClose,
  waitForFrames,
} from "./helpers";

const statuses = (frames: { event: string; data?: unknown }[]) =>
  frames
    .filter((frame) => frame.event === "order-status-updated")
    .map((frame) => (frame.data as { status: string }).status);

async function publishSteps(room: string, from: number, count: number) {
  for (let i = from; i < from + count; i++) {
    const res = await broadcast([room], "order-status-updated", orderStatus("1", `step-${i}`));
    expect(res.status).toBe(200);
  }
}

const steps = (from: number, count: number) => Array.from({ length: count }, (_, i) => `step-${from + i}`);

describe("sequence numbers", () => {
  it("numbers every delivered event of a room by one, with the room's epoch", async () => {
    const room = `order-${uniqueId()}`;
    const socket = await join(room, await tokenFor("k", ["kitchen"]));
    const { seq, epoch } = joinedOf(socket);
    expect(seq).toBe(0);
    await publishSteps(room, 0, 5);
    const frames = (await waitForFrames(socket, 6)).slice(1);
    expect(frames.map((frame) => frame.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(frames.map((frame) => frame.epoch))).toEqual(new Set([epoch]));
  });
});

describe("resume after reconnect", () => {
  it("sends exactly the 50 events a subscriber missed, in order, then live ones", async () => {
    const room = `order-${uniqueId()}`;
    const token = await tokenFor("k", ["kitchen"]);
    const first = await join(room, token);
    await publishSteps(room, 0, 3);
    const seen = await waitForFrames(first, 4);
    const last = seen.at(-1);
    first.ws.close(1000);
    await waitForClose(first);

    await publishSteps(room, 3, 50);
    const back = await join(room, token, { since: last?.seq ?? 0, epoch: last?.epoch ?? "" });
    expect(joinedOf(back)).toMatchObject({ recovered: true, seq: 53 });
    await waitForFrames(back, 51);
    await publishSteps(room, 53, 2);
    const frames = await waitForFrames(back, 53);
    expect(statuses(frames)).toEqual(steps(3, 52));
    expect(frames.slice(1).map((frame) => frame.seq)).toEqual(Array.from({ length: 52 }, (_, i) => 4 + i));
  });

  it("resumes with nothing to send when nothing was missed", async () => {
    const room = `order-${uniqueId()}`;
    const token = await tokenFor("k", ["kitchen"]);
    const first = await join(room, token);
    await publishSteps(room, 0, 2);
    const { seq, epoch } = { seq: 2, epoch: joinedOf(first).epoch };
    const back = await join(room, token, { since: seq, epoch });
    await settled(back);
    expect(back.frames).toHaveLength(1);
    expect(joinedOf(back)).toMatchObject({ recovered: true, seq: 2 });
  });

  it("resumes across an eviction of the room between disconnect and reconnect", async () => {
    const room = `order-${uniqueId()}`;
    const token = await tokenFor("k", ["kitchen"]);
    const first = await join(room, token);
    const { epoch } = joinedOf(first);
    await publishSteps(room, 0, 2);
    await waitForFrames(first, 3);
    first.ws.close(1000);
    await publishSteps(room, 2, 5);
    await evictDurableObject(env.ROOMS.getByName(room));
    const back = await join(room, token, { since: 2, epoch });
    expect(joinedOf(back).recovered).toBe(true);
    expect(statuses(await waitForFrames(back, 6))).toEqual(steps(2, 5));
  });

  it("says recovered: false for another epoch or a seq from the future", async () => {
    const room = `order-${uniqueId()}`;
    const token = await tokenFor("k", ["kitchen"]);
    const first = await join(room, token);
    await publishSteps(room, 0, 1);
    const wrongEpoch = await join(room, token, { since: 0, epoch: "0123abcd" });
    expect(joinedOf(wrongEpoch).recovered).toBe(false);
    const future = await join(room, token, { since: 99, epoch: joinedOf(first).epoch });
    expect(joinedOf(future).recovered).toBe(false);
  });

  it("refuses a malformed since or epoch with 400", async () => {
    const token = await tokenFor("k", ["kitchen"]);
    for (const query of [
      "since=abc&epoch=00ff",
      "since=1",
      "epoch=00ff",
      "since=-1&epoch=00ff",
      "since=1&epoch=XYZ",
      // Numbers, but not decimal seqs: Number() would read them as 16, 1000, 7 and 1.
      "since=0x10&epoch=00ff",
      "since=1e3&epoch=00ff",
      "since=%207&epoch=00ff",
      "since=01&epoch=00ff",
      "since=1.0&epoch=00ff",
    ]) {
      const res = await upgrade(`restaurant-kitchen?${query}`, { token });
      expect(res.status, query).toBe(400);
      expect((await errorOf(res)).message).toContain("since");
    }
  });

  it("loses nothing when a token expires mid-stream and the client resumes with a fresh one", async () => {
    const room = `order-${uniqueId()}`;
    const socket = await join(room, await signToken({ sub: "k", roles: ["kitchen"], expiresIn: 2 }));
    await publishSteps(room, 0, 3);
    await waitForFrames(socket, 4);
    const closed = waitForClose(socket, 6_000);
    const during = publishSteps(room, 3, 10);
    expect((await closed).code).toBe(4001);
    await during;
    const received = socket.frames.filter((frame) => frame.seq !== undefined);
    const last = received.at(-1);
    const back = await join(room, await tokenFor("k", ["kitchen"]), {
      since: last?.seq ?? 0,
      epoch: last?.epoch ?? "",
    });
    expect(joinedOf(back).recovered).toBe(true);
    await waitForFrames(back, 1 + 13 - received.length);
    expect([...statuses(received), ...statuses(back.frames)]).toEqual(steps(0, 13));
  });
});

describe("idempotent publish", () => {
  const body = (id: string, room: string, status = "ready") => ({
    id,
    rooms: [room],
    event: "order-status-updated",
    data: orderStatus("1", status),
  });

  it("delivers a publish retried three times with one id once, and answers each retry like the first", async () => {
    const room = `order-${uniqueId()}`;
    const socket = await join(room, await tokenFor("k", ["kitchen"]));
    const id = uniqueId();
    const payload = body(id, room);
    const answers = [];
    for (let i = 0; i < 3; i++) {
      const res = await internal("/broadcast", { body: payload });
      answers.push({ status: res.status, body: await res.json() });
    }
    expect(answers).toEqual(Array(3).fill({ status: 200, body: { delivered: { [room]: 1 } } }));
    await settled(socket);
    expect(statuses(socket.frames)).toEqual(["ready"]);
  });

  it("delivers the same id again to a room that never saw it", async () => {
    const [a, b] = [`order-${uniqueId()}`, `order-${uniqueId()}`];
    const token = await tokenFor("k", ["kitchen"]);
    const [inA, inB] = [await join(a, token), await join(b, token)];
    const first = body(uniqueId(), a);
    await internal("/broadcast", { body: first });
    const res = await internal("/broadcast", { body: { ...first, rooms: [a, b] } });
    expect(await res.json()).toEqual({ delivered: { [a]: 1, [b]: 1 } });
    await Promise.all([settled(inA), settled(inB)]);
    expect(statuses(inA.frames)).toEqual(["ready"]);
    expect(statuses(inB.frames)).toEqual(["ready"]);
  });

  it("refuses the same id with another payload with 409 and delivers nothing", async () => {
    const room = `order-${uniqueId()}`;
    const socket = await join(room, await tokenFor("k", ["kitchen"]));
    const id = uniqueId();
    await internal("/broadcast", { body: body(id, room, "ready") });
    const res = await internal("/broadcast", { body: body(id, room, "cancelled") });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).code).toBe("idempotency_conflict");
    await settled(socket);
    expect(statuses(socket.frames)).toEqual(["ready"]);
  });

  it("still counts a retry as one across a deploy: a key stored as an earlier hub's SHA-256 digest", async () => {
    const room = `order-${uniqueId()}`;
    const socket = await join(room, await tokenFor("k", ["kitchen"]));
    const id = uniqueId();
    const payload = body(id, room, "ready");
    await internal("/broadcast", { body: payload });
    const stub = env.ROOMS.getByName(room);
    // What the hub stored before fingerprints: base64 SHA-256 of [event, data] as published.
    await runInDurableObject(stub, async (_, state) => {
      const { frame } = state.storage.sql.exec<{ frame: string }>("SELECT frame FROM events").one();
      const { event, data } = JSON.parse(frame);
      const text = new TextEncoder().encode(JSON.stringify([event, data]));
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", text));
      state.storage.sql.exec("UPDATE events SET phash = ?", btoa(String.fromCharCode(...digest)));
    });
    await evictDurableObject(stub);
    const retry = await internal("/broadcast", { body: payload });
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ delivered: { [room]: 1 } });
    const reused = await internal("/broadcast", { body: body(id, room, "cancelled") });
    expect(reused.status).toBe(409);
    await settled(socket);
    expect(statuses(socket.frames)).toEqual(["ready"]);
  });

  it("counts a repeat from a Worker still on the SHA-256 code as a retry of a key stored with a fingerprint", async () => {
    const room = `order-${uniqueId()}`;
    const socket = await join(room, await tokenFor("k", ["kitchen"]));
    const id = uniqueId();
    await internal("/broadcast", { body: body(id, room, "ready") });
    const stub = env.ROOMS.getByName(room);
    const { event, data } = await runInDurableObject(stub, (_, state) =>
      JSON.parse(state.storage.sql.exec<{ frame: string }>("SELECT frame FROM events").one().frame),
    );
    const sha256 = async (value: unknown) => {
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(value)));
      return btoa(String.fromCharCode(...new Uint8Array(digest)));
    };
    // What a Worker still on the old code sends: the id with a SHA-256 of [event, data].
    expect(await stub.broadcast(event, data, id, await sha256([event, data]))).toEqual({
      delivered: 1,
      duplicate: true,
    });
    const other = { ...data, status: "cancelled" };
    expect(await stub.broadcast(event, other, id, await sha256([event, other]))).toEqual({ conflict: true });
    await settled(socket);
    expect(statuses(socket.frames)).toEqual(["ready"]);
  });

  it("keeps each id on its event row: one row written per publish, no separate table", async () => {
    const room = `order-${uniqueId()}`;
    const id = uniqueId();
    await internal("/broadcast", { body: body(id, room) });
    const stored = await runInDurableObject(env.ROOMS.getByName(room), (_, state) => ({
      rows: state.storage.sql.exec("SELECT pid, delivered FROM events").toArray(),
      tables: state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'publishes'").toArray().length,
    }));
    expect(stored).toEqual({ rows: [{ pid: id, delivered: 0 }], tables: 0 });
  });

  it("upgrades a room stored before ids moved onto event rows", async () => {
    const room = `order-${uniqueId()}`;
    const socket = await join(room, await tokenFor("k", ["kitchen"]));
    const stub = env.ROOMS.getByName(room);
    // The previous layout: events without key columns, a publishes table, schema 3.
    await runInDurableObject(stub, (_, state) => {
      state.storage.sql.exec("DROP TABLE events");
      state.storage.sql.exec(
        "CREATE TABLE events (seq INTEGER PRIMARY KEY, frame TEXT NOT NULL, size INTEGER NOT NULL, ts INTEGER NOT NULL)",
      );
      state.storage.sql.exec("CREATE TABLE publishes (id TEXT PRIMARY KEY, hash TEXT, delivered INTEGER, ts INTEGER)");
      state.storage.kv.put("schema", 3);
    });
    await evictDurableObject(stub);
    const payload = body(uniqueId(), room);
    await internal("/broadcast", { body: payload });
    const repeat = await internal("/broadcast", { body: payload });
    expect(await repeat.json()).toEqual({ delivered: { [room]: 1 } });
    await waitForFrames(socket, 2);
    await settled(socket);
    expect(statuses(socket.frames)).toEqual(["ready"]);
  });

  it("forgets ids after 10 minutes", async () => {
    const room = `order-${uniqueId()}`;
    const socket = await join(room, await tokenFor("k", ["kitchen"]));
    const payload = body(uniqueId(), room);
    await internal("/broadcast", { body: payload });
    await runInDurableObject(env.ROOMS.getByName(room), (_, state) => {
      state.storage.sql.exec("UPDATE events SET ts = ts - ?", HISTORY.idempotencyWindowMs + 1_000);
    });
    // The key's record as a room that just woke up reads it: from the event rows.
    await evictDurableObject(env.ROOMS.getByName(room));
    await internal("/broadcast", { body: payload });
    await waitForFrames(socket, 3);
    expect(statuses(socket.frames)).toEqual(["ready", "ready"]);
  });
});

describe("offline notifications", () => {
  const notify = (user: string, id: string | undefined, title: string) =>
    broadcast([`user-${user}`], "notification", { ...(id ? { id } : {}), title, body: "" });

  const titles = (frames: { event: string; data?: unknown }[]) =>
    frames.filter((frame) => frame.event === "notification").map((frame) => (frame.data as { title: string }).title);

  it("delivers notifications sent while the user was offline on connect, and read ones never again", async () => {
    const user = uniqueId();
    const token = await tokenFor(user);
    await notify(user, "n-a", "A");
    await notify(user, undefined, "B");
    await notify(user, "n-c", "C");

    const phone = await join(`user-${user}`, token);
    const frames = await waitForFrames(phone, 4);
    expect(titles(frames)).toEqual(["A", "B", "C"]);
    const ids = frames.slice(1).map((frame) => (frame.data as { id: string }).id);
    expect(ids[0]).toBe("n-a");
    expect(ids[1]).toMatch(/^hub:\d+$/);

    const read = await request(phone, "notification:read", { ids: [ids[0], ids[1], "unknown"] }, 1);
    expect(read.data).toEqual({ read: 2 });
    phone.ws.close(1000);

    await notify(user, "n-d", "D");
    await evictDurableObject(env.ROOMS.getByName(`user-${user}`));
    const laptop = await join(`user-${user}`, token);
    await waitForFrames(laptop, 3);
    await settled(laptop);
    expect(titles(laptop.frames)).toEqual(["C", "D"]);
  });

  it("keeps the last 100 unread", async () => {
    const user = uniqueId();
    for (let i = 0; i < HISTORY.maxNotifications + 5; i++) await notify(user, `n${i}`, `T${i}`);
    const socket = await join(`user-${user}`, await tokenFor(user));
    const frames = await waitForFrames(socket, 1 + HISTORY.maxNotifications);
    await settled(socket);
    expect(titles(frames)).toEqual(Array.from({ length: HISTORY.maxNotifications }, (_, i) => `T${i + 5}`));
  });

  it("keeps exactly the last 100 unread: read ones never crowd them out", async () => {
    const user = uniqueId();
    const token = await tokenFor(user);
    await notify(user, "still-unread", "Unread");
    const reader = await join(`user-${user}`, token);
    for (let i = 0; i < HISTORY.maxNotifications; i++) {
      await notify(user, `read-${i}`, `R${i}`);
      expect((await request(reader, "notification:read", { ids: [`read-${i}`] }, 10 + i)).data).toEqual({ read: 1 });
    }
    reader.ws.close(1000);
    const phone = await join(`user-${user}`, token);
    await request(phone, "room:info", undefined, 1);
    expect(titles(phone.frames)).toEqual(["Unread"]);
  }, 60_000);

  it("keeps the hub's generated ids apart from backend ids", async () => {
    const user = uniqueId();
    await notify(user, undefined, "Generated");
    const phone = await join(`user-${user}`, await tokenFor(user));
    const [, generated] = await waitForFrames(phone, 2);
    const id = (generated?.data as { id: string } | undefined)?.id ?? "";
    expect(id).toMatch(/^hub:\d+$/);
    // A backend may not use that id space, so it cannot overwrite an unread notification.
    const taken = await notify(user, id, "Overwrite");
    expect(taken.status).toBe(400);
    expect((await errorOf(taken)).message).toContain("hub:");
    // Ids that merely look alike are the backend's own.
    expect((await notify(user, "n1", "Backend n1")).status).toBe(200);
    const laptop = await join(`user-${user}`, await tokenFor(user));
    await request(laptop, "room:info", undefined, 1);
    expect(titles(laptop.frames)).toEqual(["Generated", "Backend n1"]);
  });

  it("does not send again what a resuming client already has", async () => {
    const user = uniqueId();
    const token = await tokenFor(user);
    const first = await join(`user-${user}`, token);
    await notify(user, "x1", "X1");
    const got = await waitForFrames(first, 2);
    first.ws.close(1000);
    await notify(user, "x2", "X2");
    const back = await join(`user-${user}`, token, { since: got[1]?.seq ?? 0, epoch: got[1]?.epoch ?? "" });
    await waitForFrames(back, 2);
    await settled(back);
    expect(titles(back.frames)).toEqual(["X2"]);
  });

  it("refuses notification:read outside a personal room and with bad ids", async () => {
    const socket = await join(`order-${uniqueId()}`, await tokenFor("k", ["kitchen"]));
    expect((await request(socket, "notification:read", { ids: ["a"] }, 1)).data).toMatchObject({
      code: "unknown_event",
    });
    const user = uniqueId();
    const own = await join(`user-${user}`, await tokenFor(user));
    expect((await request(own, "notification:read", { ids: [] }, 2)).data).toMatchObject({ code: "invalid_payload" });
  });
});
