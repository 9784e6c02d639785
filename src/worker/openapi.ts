/**
 * The OpenAPI 3.1 document of the internal API and the access check (`GET /internal/openapi.json`),
 * generated from the schemas the handlers validate with: the broadcast envelope, each publishable
 * event's payload schema and the room kinds it may go to, the grant body, the id and room-name
 * rules. Valibot schemas become JSON Schema with `@valibot/to-json-schema`; the rules a check
 * function holds are said in JSON Schema next to it (`CHECKS_AS_JSON_SCHEMA`). The document is
 * checked against the handlers in CI (test/workers/ops/openapi.test.ts): every route is in it,
 * and a request it declares invalid is refused, and the reverse.
 *
 * Response shapes are described here (the hub builds responses, it does not validate them).
 */
import { type ConversionConfig, toJsonSchema } from "@valibot/to-json-schema";
import * as v from "valibot";
import { ID_PATTERN } from "../ids.js";
import { LIMITS } from "../limits.js";
import { LOCATION_HINTS } from "../location-hints.js";
import { broadcastBodySchema, CHECKS_AS_JSON_SCHEMA, grantBodySchema } from "../payload-schemas.js";
import { ErrorCode } from "../protocol.js";
import { publishableEvent, publishableEventNames } from "../publishable-events.js";
import { ROOM_KINDS, type RoomKindName, roomNamePattern } from "../room-policy.js";

type Json = Record<string, unknown>;

interface Operation {
  method: "get" | "post" | "put" | "delete";
  /** The route as Hono writes it, e.g. `/internal/rooms/:room`. */
  path: string;
  summary: string;
  description?: string;
  /** Path parameters and the schema of each. */
  params?: Record<string, v.GenericSchema>;
  body?: { media: "application/json" | "text/plain"; schema: v.GenericSchema; required: boolean; description?: string };
  responses: Record<number, { description: string; schema?: v.GenericSchema }>;
  /** Needs `Authorization: Bearer $BROADCAST_SECRET` (every /internal route). */
  bearer: boolean;
}

const errorShape = v.object({
  error: v.object({ code: v.picklist(Object.values(ErrorCode)), message: v.string() }),
});
const delivered = v.record(v.string(), v.pipe(v.number(), v.integer(), v.minValue(0)));
const membership = v.object({
  room: v.string(),
  userId: v.string(),
  granted: v.boolean(),
  closed: v.optional(v.pipe(v.number(), v.integer())),
});
const roomSummary = v.object({
  room: v.string(),
  members: v.pipe(v.number(), v.integer()),
  seq: v.pipe(v.number(), v.integer()),
  epoch: v.nullable(v.string()),
  lastEventAt: v.nullable(v.pipe(v.string(), v.isoTimestamp())),
  grants: v.pipe(v.number(), v.integer()),
});
const byRole = v.record(v.string(), v.pipe(v.number(), v.integer()));
const liveUsers = v.object({
  users: v.array(
    v.object({
      userId: v.string(),
      name: v.optional(v.string()),
      roles: v.array(v.string()),
      path: v.nullable(v.string()),
      connections: v.pipe(v.number(), v.integer()),
      connectedAt: v.number(),
      lastSeenAt: v.number(),
    }),
  ),
  total: v.pipe(v.number(), v.integer()),
  connections: v.pipe(v.number(), v.integer()),
  byRole,
  truncated: v.boolean(),
});

const roomOf = (kinds: readonly RoomKindName[] | "any") => v.pipe(v.string(), v.regex(roomNamePattern(kinds)));
const grantableKinds = (Object.keys(ROOM_KINDS) as RoomKindName[]).filter(
  (kind) => "grantable" in ROOM_KINDS[kind] && ROOM_KINDS[kind].grantable,
);

/** The broadcast body, one variant per publishable event: its payload schema and the rooms it may go to. */
function broadcastRequest(): v.GenericSchema {
  const { id, locationHint } = broadcastBodySchema.entries;
  const variants = publishableEventNames().map((event) => {
    const declaration = publishableEvent(event);
    if (!declaration) throw new Error(`no declaration for ${event}`);
    return v.strictObject({
      id,
      rooms: v.pipe(v.array(roomOf(declaration.rooms)), v.minLength(1), v.maxLength(LIMITS.maxRoomsPerBroadcast)),
      event: v.literal(event),
      data: declaration.schema,
      locationHint,
    });
  });
  return v.variant("event", variants as unknown as v.VariantOptions<"event">);
}

const refused = (description: string) => ({ description, schema: errorShape });

function operations(): Operation[] {
  return [
    {
      method: "post",
      path: "/internal/broadcast",
      summary: "Publish an event to 1-100 rooms",
      description:
        "Validated field by field; an event may go only to the room kinds it is declared for (built-in events: any). With `id`, a repeat within 10 minutes delivers nothing new and answers the first count. A notification's `id` is its publish id: `id` and `data.id` may both be given only when equal (a rule JSON Schema cannot say; anything else is a 400). Bodies are at most 64 KiB.",
      body: { media: "application/json", schema: broadcastRequest(), required: true },
      responses: {
        200: { description: "Sockets reached, per room", schema: v.object({ delivered }) },
        400: refused("The body names the field that is wrong"),
        409: {
          description: "The id was used with another event or payload",
          schema: v.object({ ...errorShape.entries, delivered }),
        },
        413: refused("The body is over 64 KiB"),
        502: {
          description: "Some rooms failed; retry with the same id to reach only those",
          schema: v.object({ ...errorShape.entries, delivered }),
        },
      },
      bearer: true,
    },
    {
      method: "put",
      path: "/internal/rooms/:room/members/:userId",
      summary: "Grant a user access to an order room",
      params: { room: roomOf(grantableKinds), userId: v.pipe(v.string(), v.regex(ID_PATTERN)) },
      body: {
        media: "application/json",
        schema: grantBodySchema,
        required: false,
        description: `Optional: where to create the room's object if it does not exist yet (${LOCATION_HINTS.join(", ")})`,
      },
      responses: {
        200: { description: "Granted (a repeat keeps the first grant)", schema: membership },
        400: refused("Not a grantable room, a bad user id or a bad body"),
      },
      bearer: true,
    },
    {
      method: "delete",
      path: "/internal/rooms/:room/members/:userId",
      summary: "Revoke a grant; the sockets it admitted are closed with 4003",
      params: { room: roomOf(grantableKinds), userId: v.pipe(v.string(), v.regex(ID_PATTERN)) },
      responses: {
        200: { description: "Revoked, with the sockets closed", schema: membership },
        400: refused("Not a grantable room or a bad user id"),
      },
      bearer: true,
    },
    {
      method: "get",
      path: "/internal/rooms/:room",
      summary: "A room's live counts",
      params: { room: roomOf("any") },
      responses: {
        200: {
          description: "Members now, seq, epoch, last event, grants (a room that stores nothing: zeros)",
          schema: roomSummary,
        },
        400: refused("Not a room name"),
      },
      bearer: true,
    },
    {
      method: "get",
      path: "/internal/stats",
      summary: "What the hub knows cheaply: users online and their connections, by role",
      responses: {
        200: {
          description: "Totals from presence",
          schema: v.object({
            usersOnline: v.pipe(v.number(), v.integer()),
            connections: v.pipe(v.number(), v.integer()),
            byRole,
          }),
        },
      },
      bearer: true,
    },
    {
      method: "get",
      path: "/internal/presence",
      summary: "The live-users list the admin dashboard shows",
      responses: {
        200: { description: "The 200 most recently active users, and totals over everyone", schema: liveUsers },
      },
      bearer: true,
    },
    {
      method: "get",
      path: "/internal/openapi.json",
      summary: "This document",
      responses: { 200: { description: "OpenAPI 3.1" } },
      bearer: true,
    },
    {
      method: "post",
      path: "/access/:room",
      summary: "Would an upgrade to this room be accepted? (the token as the body)",
      description:
        "Runs the upgrade's checks without a socket, so a browser can learn why an upgrade was refused. CORS: any origin.",
      params: { room: roomOf("any") },
      body: {
        media: "text/plain",
        schema: v.pipe(v.string(), v.maxLength(8 * 1024)),
        required: true,
        description: "The JWT",
      },
      responses: {
        200: {
          description: "An upgrade would be accepted",
          schema: v.object({ ok: v.literal(true), room: v.string(), userId: v.string() }),
        },
        400: refused("Not a room name"),
        401: refused("No token, or a bad or expired one (`token_expired`)"),
        403: refused("The room does not admit this user, or the Origin is not allowed"),
        429: refused("Too many connection attempts from this address; see Retry-After"),
      },
      bearer: false,
    },
  ];
}

const CONVERSION: ConversionConfig = {
  target: "draft-2020-12",
  errorMode: "throw",
  overrideAction: ({ valibotAction, jsonSchema }) => {
    const said = CHECKS_AS_JSON_SCHEMA.get(valibotAction);
    return said ? { ...jsonSchema, ...said } : undefined;
  },
};

function jsonSchema(schema: v.GenericSchema): Json {
  const { $schema: _, ...converted } = toJsonSchema(schema, CONVERSION) as Json;
  return converted;
}

/** `/rooms/:room` as OpenAPI writes it: `/rooms/{room}`. */
const openApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, "{$1}");

let cached: Json | null = null;

/** The document (built once per isolate: everything in it is fixed at build time). */
export function openApiDocument(): Json {
  if (cached) return cached;
  const paths: Record<string, Record<string, Json>> = {};
  for (const op of operations()) {
    const operation: Json = {
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      ...(op.bearer ? { security: [{ bearer: [] }] } : {}),
      responses: Object.fromEntries(
        Object.entries(op.responses).map(([status, response]) => [
          status,
          {
            description: response.description,
            ...(response.schema ? { content: { "application/json": { schema: jsonSchema(response.schema) } } } : {}),
          },
        ]),
      ),
    };
    if (op.params) {
      operation.parameters = Object.entries(op.params).map(([name, schema]) => ({
        name,
        in: "path",
        required: true,
        schema: jsonSchema(schema),
      }));
    }
    if (op.body) {
      operation.requestBody = {
        required: op.body.required,
        ...(op.body.description ? { description: op.body.description } : {}),
        content: { [op.body.media]: { schema: jsonSchema(op.body.schema) } },
      };
    }
    const path = openApiPath(op.path);
    paths[path] = { ...paths[path], [op.method]: operation };
  }
  cached = {
    openapi: "3.1.0",
    info: {
      title: "roomcast internal API",
      version: "1",
      description: "What REST backends call: publish, grant and revoke, read rooms and totals; and the access check.",
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "BROADCAST_SECRET" } } },
    paths,
  };
  return cached;
}
