/**
 * The OpenAPI document against the handlers, on a real hub: a request the document declares
 * invalid is refused with 400, and one it declares valid is not. Bodies and parameters come from
 * fast-check, mixing valid values with the mistakes backends make. The document is read with a
 * JSON Schema 2020-12 validator (ajv), as an API client or gateway would read it.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Hub, startHub } from "../support/hub-process";
import { internal } from "./helpers";

// ajv-formats is CommonJS: its default export arrives wrapped under Node's ESM loader.
const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;

type Json = Record<string, unknown>;
let hub: Hub;
let doc: { paths: Record<string, Record<string, Json>> };
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

beforeAll(async () => {
  hub = await startHub();
  const res = await internal(hub, "/openapi.json", "GET");
  expect(res.status).toBe(200);
  doc = (await res.json()) as typeof doc;
});
afterAll(async () => {
  await hub?.stop();
});

function operation(path: string, method: string): Json {
  const op = doc.paths[path]?.[method];
  if (!op) throw new Error(`the document has no ${method} ${path}`);
  return op;
}

function bodyValidator(path: string, method: string) {
  const body = operation(path, method).requestBody as { content: Record<string, { schema: Json }> };
  return ajv.compile(body.content["application/json"]?.schema ?? {});
}

function paramValidators(path: string, method: string): Record<string, (value: unknown) => boolean> {
  const params = operation(path, method).parameters as { name: string; schema: Json }[];
  return Object.fromEntries(params.map((param) => [param.name, ajv.compile(param.schema)]));
}

const now = () => new Date().toISOString();

// ---- what backends send: mostly valid pieces, sometimes the mistakes backends make ------------

/** `valid` most of the time, else one of `mistakes`: whole bodies are then valid often enough. */
function mostly<T>(valid: fc.Arbitrary<T>, ...mistakes: unknown[]): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: fc.constantFrom(...mistakes), weight: 1 });
}

/** Mostly absent, sometimes `value` (a key a schema does not know). */
function rarely(value: unknown): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: 12 }, { arbitrary: fc.constant(value), weight: 1 });
}

const roomName = mostly(
  fc.oneof(
    fc.constantFrom("restaurant-kitchen", "pool-staff", "admin-dashboard", "support-agents"),
    fc
      .tuple(fc.constantFrom("order-", "user-", "support-"), fc.uuid())
      .map(([prefix, id]) => `${prefix}${id.slice(0, 12)}`),
  ),
  "lobby",
  "order-",
  "order-a b",
  "user-ä",
  "ORDER-1",
  "",
  "restaurant-kitchen ",
  "x".repeat(201),
);

const orderItem = fc.record(
  {
    name: mostly(fc.constantFrom("Pad thai", "Soup"), ""),
    quantity: mostly(fc.integer({ min: 1, max: 1000 }), 0, 1001, 2.5, "2"),
    notes: mostly(fc.constant("no peanuts"), "x".repeat(501)),
    sku: mostly(fc.constant("PT-01"), ""),
    price: mostly(fc.integer({ min: 0, max: 5000 }), -1, 12.5),
    options: mostly(fc.constantFrom([{ name: "Spice", value: "mild" }], [{ name: "Tofu", price: 200 }]), [
      { name: "" },
    ]),
  },
  { requiredKeys: ["name", "quantity"] },
);

const payloads: Record<string, fc.Arbitrary<unknown>> = {
  "order-status-updated": fc.record(
    {
      orderId: mostly(
        fc.oneof(
          fc.uuid().map((id) => id.slice(0, 12)),
          fc.integer({ min: 0, max: 99999 }),
        ),
        -1,
        "a b",
        null,
      ),
      status: mostly(fc.constantFrom("ready", "preparing"), "Ready", "", "x".repeat(33)),
      updatedAt: mostly(fc.constant(now()), "yesterday"),
      extra: rarely(1),
    },
    { requiredKeys: ["orderId", "status"] },
  ),
  "new-order": fc.record(
    {
      orderId: fc.uuid().map((id) => id.slice(0, 12)),
      customerName: mostly(fc.constant("Ada"), ""),
      items: mostly(fc.array(orderItem, { minLength: 1, maxLength: 3 }), []),
      currency: mostly(fc.constant("EUR"), "eur", "EURO"),
      total: mostly(fc.integer({ min: 0, max: 9000 }), -5),
      createdAt: mostly(fc.constant(now()), "now"),
    },
    { requiredKeys: ["orderId", "customerName", "items", "createdAt"] },
  ),
  notification: fc.record(
    {
      id: mostly(fc.uuid(), "hub:7", "", "x".repeat(129)),
      title: mostly(fc.constant("Your table is ready"), ""),
      body: mostly(fc.constant("Table 4"), "x".repeat(2001)),
      type: mostly(fc.constant("order"), ""),
      link: mostly(fc.constant("/orders/42"), ""),
      createdAt: mostly(fc.constant(now()), "soon"),
    },
    { requiredKeys: ["title", "body"] },
  ),
  "pool-status-updated": fc.record(
    {
      poolId: mostly(fc.constant("main"), "a b"),
      status: mostly(fc.constantFrom("open", "busy"), "flooded"),
      occupancy: mostly(fc.integer({ min: 0, max: 200 }), -1),
      capacity: mostly(fc.constant(60), 0),
      note: mostly(fc.constant("lanes 1-3 closed"), "x".repeat(501)),
      updatedAt: mostly(fc.constant(now()), "later"),
    },
    { requiredKeys: ["poolId", "status", "updatedAt"] },
  ),
};

const broadcastBody = fc
  .record(
    {
      event: mostly(fc.constantFrom(...Object.keys(payloads)), "not-an-event"),
      rooms: mostly(fc.array(roomName, { minLength: 1, maxLength: 3 }), []),
      // Fresh ids: a repeated id is a duplicate (or a 409 with another payload), not what this tests.
      id: mostly(
        fc.uuid().map((id) => `p-${id}`),
        "",
        "x".repeat(129),
      ),
      locationHint: mostly(fc.constantFrom("apac", "weur"), "mars"),
      surprise: rarely(1),
    },
    { requiredKeys: ["event", "rooms"] },
  )
  .chain((envelope) =>
    (payloads[String(envelope.event)] ?? fc.constant({ anything: true })).map((data) => {
      const body: Json = { ...envelope, data };
      for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
      if (typeof data === "object" && data !== null) {
        for (const key of Object.keys(data)) if ((data as Json)[key] === undefined) delete (data as Json)[key];
      }
      // The one rule JSON Schema cannot say: a notification's publish id and data.id must agree.
      // Keep to one of them (the document's description says so).
      if (envelope.event === "notification" && body.id !== undefined) delete (data as Json).id;
      return body;
    }),
  );

describe("the OpenAPI document", () => {
  it("is OpenAPI 3.1 and describes every internal route and the access check", () => {
    expect(doc).toMatchObject({ openapi: "3.1.0" });
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        "/access/{room}",
        "/internal/broadcast",
        "/internal/openapi.json",
        "/internal/presence",
        "/internal/rooms/{room}",
        "/internal/rooms/{room}/members/{userId}",
        "/internal/stats",
      ].sort(),
    );
  });

  it("declares a broadcast body invalid exactly when the hub refuses it with 400", async () => {
    const valid = bodyValidator("/internal/broadcast", "post");
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(broadcastBody, async (body) => {
        const declared = valid(body);
        const res = await internal(hub, "/broadcast", "POST", body);
        const answer = await res.text();
        expect([200, 400], answer).toContain(res.status);
        expect(
          res.status === 200,
          `document says ${declared ? "valid" : "invalid"}: ${JSON.stringify(body)} -> ${answer}`,
        ).toBe(declared);
        if (declared) accepted++;
        else refused++;
      }),
      { numRuns: 300 },
    );
    // Both verdicts were tried often enough to mean something.
    expect(accepted).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(10);
  }, 180_000);

  it("declares a grant's room, user and body invalid exactly when the hub refuses it with 400", async () => {
    const params = paramValidators("/internal/rooms/{room}/members/{userId}", "put");
    const valid = bodyValidator("/internal/rooms/{room}/members/{userId}", "put");
    const userId = mostly(
      fc.uuid().map((id) => `u${id.slice(0, 12)}`),
      "a.b",
      "x".repeat(65),
      "ä",
    );
    const grantBody = fc.constantFrom(
      undefined,
      {},
      { locationHint: "apac" },
      { locationHint: "moon" },
      { region: "apac" },
    );
    await fc.assert(
      fc.asyncProperty(roomName.map(String), userId.map(String), grantBody, async (room, user, body) => {
        const declared =
          (params.room?.(room) ?? false) && (params.userId?.(user) ?? false) && (body === undefined || valid(body));
        const res = await internal(
          hub,
          `/rooms/${encodeURIComponent(room)}/members/${encodeURIComponent(user)}`,
          "PUT",
          body,
        );
        const answer = await res.text();
        // An empty or over-long room name is not a route at all: a 404, which is also a refusal.
        expect(
          res.status !== 200,
          `document says ${declared ? "valid" : "invalid"}: ${room} ${user} ${JSON.stringify(body)} -> ${answer}`,
        ).toBe(!declared);
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
