import { describe, expect, it } from "vitest";
import { parseRoom } from "../../src/room-policy";
import { errorOf, join, tokenFor, uniqueId, upgrade } from "./helpers";

interface Case {
  room: string;
  sub: string;
  roles: string[];
}

const id = () => uniqueId().slice(0, 8);

// Every row of the policy table, with who gets in and who does not.
const allowed: [string, () => Case][] = [
  ["user-{id}: the user whose sub is {id}", () => ((u) => ({ room: `user-${u}`, sub: u, roles: [] }))(id())],
  ["order-{id}: admin", () => ({ room: `order-${id()}`, sub: id(), roles: ["admin"] })],
  ["order-{id}: staff", () => ({ room: `order-${id()}`, sub: id(), roles: ["staff"] })],
  ["order-{id}: kitchen", () => ({ room: `order-${id()}`, sub: id(), roles: ["kitchen"] })],
  ["restaurant-kitchen: admin", () => ({ room: "restaurant-kitchen", sub: id(), roles: ["admin"] })],
  ["restaurant-kitchen: staff", () => ({ room: "restaurant-kitchen", sub: id(), roles: ["staff"] })],
  ["restaurant-kitchen: kitchen", () => ({ room: "restaurant-kitchen", sub: id(), roles: ["kitchen"] })],
  ["pool-staff: admin", () => ({ room: "pool-staff", sub: id(), roles: ["admin"] })],
  ["pool-staff: staff", () => ({ room: "pool-staff", sub: id(), roles: ["staff"] })],
  ["pool-staff: pool", () => ({ room: "pool-staff", sub: id(), roles: ["pool"] })],
  ["admin-dashboard: admin", () => ({ room: "admin-dashboard", sub: id(), roles: ["admin"] })],
  ["support-{userId}: the customer", () => ((u) => ({ room: `support-${u}`, sub: u, roles: [] }))(id())],
  ["support-{userId}: support", () => ({ room: `support-${id()}`, sub: id(), roles: ["support"] })],
  ["support-{userId}: admin", () => ({ room: `support-${id()}`, sub: id(), roles: ["admin"] })],
  ["support-agents: support", () => ({ room: "support-agents", sub: id(), roles: ["support"] })],
  ["support-agents: admin", () => ({ room: "support-agents", sub: id(), roles: ["admin"] })],
];

const refused: [string, () => Case][] = [
  ["user-{id}: another user", () => ({ room: `user-${id()}`, sub: id(), roles: [] })],
  ["user-{id}: even an admin", () => ({ room: `user-${id()}`, sub: id(), roles: ["admin"] })],
  ["order-{id}: a customer without a grant", () => ({ room: `order-${id()}`, sub: id(), roles: [] })],
  ["order-{id}: pool staff", () => ({ room: `order-${id()}`, sub: id(), roles: ["pool"] })],
  ["restaurant-kitchen: a customer", () => ({ room: "restaurant-kitchen", sub: id(), roles: [] })],
  ["restaurant-kitchen: pool", () => ({ room: "restaurant-kitchen", sub: id(), roles: ["pool"] })],
  ["restaurant-kitchen: support", () => ({ room: "restaurant-kitchen", sub: id(), roles: ["support"] })],
  ["pool-staff: kitchen", () => ({ room: "pool-staff", sub: id(), roles: ["kitchen"] })],
  ["pool-staff: a customer", () => ({ room: "pool-staff", sub: id(), roles: [] })],
  ["admin-dashboard: staff", () => ({ room: "admin-dashboard", sub: id(), roles: ["staff"] })],
  ["admin-dashboard: support", () => ({ room: "admin-dashboard", sub: id(), roles: ["support"] })],
  ["admin-dashboard: a customer", () => ({ room: "admin-dashboard", sub: id(), roles: [] })],
  ["support-{userId}: another customer", () => ({ room: `support-${id()}`, sub: id(), roles: [] })],
  ["support-{userId}: kitchen", () => ({ room: `support-${id()}`, sub: id(), roles: ["kitchen"] })],
  ["support-agents: a customer", () => ({ room: "support-agents", sub: id(), roles: [] })],
  ["support-agents: a customer named agents", () => ({ room: "support-agents", sub: "agents", roles: [] })],
  ["support-agents: staff", () => ({ room: "support-agents", sub: id(), roles: ["staff"] })],
];

describe("who may join which room", () => {
  it.each(allowed)("admits %s", async (_, make) => {
    const { room, sub, roles } = make();
    const socket = await join(room, await tokenFor(sub, roles));
    expect(socket.frames[0]).toEqual({
      event: "joined",
      room,
      data: { room, userId: sub, seq: expect.any(Number), epoch: expect.stringMatching(/^[0-9a-f]+$/) },
    });
    socket.ws.close(1000);
  });

  it.each(refused)("refuses %s with 403", async (_, make) => {
    const { room, sub, roles } = make();
    const res = await upgrade(room, { token: await tokenFor(sub, roles) });
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe("forbidden");
  });
});

describe("room names", () => {
  it.each([
    ["user-abc", "user"],
    ["order-A_1-b", "order"],
    ["restaurant-kitchen", "kitchen"],
    ["support-agents", "supportAgents"],
    ["support-u1", "support"],
    [`order-${"x".repeat(64)}`, "order"],
  ])("reads %s as a %s room", (name, kind) => {
    expect(parseRoom(name)?.kind).toBe(kind);
  });

  it.each([
    "",
    "kitchen",
    "user-",
    "order-",
    `order-${"x".repeat(65)}`,
    "order-a.b",
    "order-a b",
    "order-é",
    "user-../admin-dashboard",
    "restaurant-kitchen-2",
    "Restaurant-Kitchen",
    "admin-dashboard ",
    "__proto__",
    "constructor",
  ])("refuses %j", (name) => {
    expect(parseRoom(name)).toBeNull();
  });
});
