/**
 * The schemas the hub validates inbound data with: the payloads of published events, client
 * frames and their payloads, and resume queries. Hub-side: the client never imports this module
 * (the types reach it through `src/protocol.ts`), so no browser bundle carries these schemas.
 * Valibot, like everything the client imports: each schema is built from small functions, so a
 * bundle holds only the checks it uses.
 */
import * as v from "valibot";
import { EPOCH_PATTERN, GENERATED_NOTIFICATION_ID_PREFIX, ID_PATTERN } from "./ids.js";
import { CHAT, HISTORY, LIMITS, PRESENCE } from "./limits.js";
import { LOCATION_HINTS } from "./location-hints.js";

/** A string of `min`-`max` characters. */
const text = (min: number, max: number) => v.pipe(v.string(), v.minLength(min), v.maxLength(max));
const integer = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

const id = v.pipe(v.string(), v.regex(ID_PATTERN, "must be 1-64 characters of A-Z, a-z, 0-9, _ or -"));
const isoTime = v.pipe(v.string(), v.isoTimestamp("must be an ISO time such as 2025-01-31T18:30:00Z"));
const orderId = v.union([id, integer(0)]);
/** Money as an integer number of the currency's minor units (cents for EUR and USD, yen for JPY). */
const minorUnits = integer(0, 1_000_000_000);

export const orderStatusUpdatedSchema = v.strictObject({
  orderId,
  status: v.pipe(
    v.string(),
    v.regex(/^[a-z][a-z0-9_-]{0,31}$/, "must be a lower-case status name such as 'preparing'"),
  ),
  updatedAt: v.optional(isoTime),
});
export type OrderStatusUpdated = v.InferOutput<typeof orderStatusUpdatedSchema>;

/** A choice made on an item ("Size: large"), with what it adds to the item's unit price. */
export const orderItemOptionSchema = v.strictObject({
  name: text(1, 100),
  value: v.optional(text(1, 100)),
  price: v.optional(minorUnits),
});
export type OrderItemOption = v.InferOutput<typeof orderItemOptionSchema>;

export const orderItemSchema = v.strictObject({
  name: text(1, 200),
  quantity: integer(1, 1000),
  notes: v.optional(text(0, 500)),
  /** The app's product code. */
  sku: v.optional(text(1, 64)),
  /** Unit price in minor units of the order's `currency` (1250 is EUR 12.50). */
  price: v.optional(minorUnits),
  options: v.optional(v.pipe(v.array(orderItemOptionSchema), v.maxLength(20))),
});
export type OrderItem = v.InferOutput<typeof orderItemSchema>;

const newOrderFields = v.strictObject({
  orderId,
  customerName: text(1, 100),
  items: v.pipe(v.array(orderItemSchema), v.minLength(1), v.maxLength(200)),
  /** ISO 4217 code of every price in the order; required as soon as one price is given. */
  currency: v.optional(v.pipe(v.string(), v.regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as 'EUR'"))),
  /** What the customer pays, in minor units. */
  total: v.optional(minorUnits),
  createdAt: isoTime,
});
type NewOrderFields = v.InferOutput<typeof newOrderFields>;

/** A new-order's prices are minor units of its `currency`, so a priced order must say which. */
const pricedOrdersNameTheirCurrency = v.forward<NewOrderFields, v.CheckIssue<NewOrderFields>, ["currency"]>(
  v.check(
    (order: NewOrderFields) => order.currency !== undefined || !hasPrice(order),
    "is required when a price or total is given (prices are minor units of this currency)",
  ),
  ["currency"],
);

/**
 * The rules above that JSON Schema cannot read from a check function, said again in JSON Schema
 * for the OpenAPI document (src/worker/openapi.ts); its conformance test holds the two together.
 */
export const CHECKS_AS_JSON_SCHEMA = new Map<unknown, Record<string, unknown>>([
  [
    pricedOrdersNameTheirCurrency,
    {
      if: {
        anyOf: [
          { required: ["total"] },
          {
            required: ["items"],
            properties: {
              items: {
                contains: {
                  anyOf: [
                    { required: ["price"] },
                    { required: ["options"], properties: { options: { contains: { required: ["price"] } } } },
                  ],
                },
              },
            },
          },
        ],
      },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, not a thenable.
      then: { required: ["currency"] },
    },
  ],
]);

export const newOrderSchema = v.pipe(newOrderFields, pricedOrdersNameTheirCurrency);
export type NewOrder = v.InferOutput<typeof newOrderSchema>;

function hasPrice(order: { total?: number | undefined; items: readonly OrderItem[] }): boolean {
  if (order.total !== undefined) return true;
  return order.items.some((item) => item.price !== undefined || item.options?.some((o) => o.price !== undefined));
}

/**
 * A notification as a backend publishes it. Its `id` is what `notification:read` (and the React
 * hook's `markRead`) takes, and it is also the publish's idempotency id: give it either here or
 * as the publish `id` (or both, equal); the hub fills in the other, and `hub:{seq}` when neither.
 */
export const notificationSchema = v.strictObject({
  id: v.optional(
    v.pipe(
      text(1, 128),
      v.regex(
        new RegExp(`^(?!${GENERATED_NOTIFICATION_ID_PREFIX})`),
        `must not start with "${GENERATED_NOTIFICATION_ID_PREFIX}": the hub gives those to notifications sent without an id`,
      ),
    ),
  ),
  title: text(1, 200),
  body: text(0, 2000),
  type: v.optional(text(1, 64)),
  link: v.optional(text(1, 2048)),
  createdAt: v.optional(isoTime),
});
/** A notification as a backend publishes it (`id` optional: the hub fills it in). */
export type NotificationInput = v.InferOutput<typeof notificationSchema>;

/**
 * The built-in events a backend may publish, with their payload schemas; every room kind may
 * receive them. Apps add their own in `src/app-events.ts`.
 */
export const BUILT_IN_EVENTS = {
  "order-status-updated": { schema: orderStatusUpdatedSchema, rooms: "any" },
  "new-order": { schema: newOrderSchema, rooms: "any" },
  notification: { schema: notificationSchema, rooms: "any" },
} as const;

export const broadcastBodySchema = v.strictObject({
  /** Idempotency key: a repeat within 10 minutes delivers nothing new and gets the first answer. */
  id: v.optional(text(1, 128)),
  rooms: v.pipe(v.array(text(0, 200)), v.minLength(1), v.maxLength(LIMITS.maxRoomsPerBroadcast)),
  event: text(0, 100),
  data: v.unknown(),
  /** Where to create a room's object if it does not exist yet (README "Placing rooms near their users"). */
  locationHint: v.optional(v.picklist(LOCATION_HINTS)),
});

/** Optional body of PUT /internal/rooms/{room}/members/{userId}. */
export const grantBodySchema = v.strictObject({ locationHint: v.optional(v.picklist(LOCATION_HINTS)) });

export const notificationReadSchema = v.strictObject({
  ids: v.pipe(v.array(text(1, 128)), v.minLength(1), v.maxLength(HISTORY.maxNotifications)),
});
export type NotificationRead = v.InferOutput<typeof notificationReadSchema>;

export const pageNavigateSchema = v.strictObject({ path: text(1, PRESENCE.maxPathLength) });
/** `userId` and `roles` are accepted by the schema only so that the hub can refuse them as `forbidden`. */
export const userUpdateSchema = v.strictObject({
  name: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(100))),
  userId: v.optional(v.unknown()),
  roles: v.optional(v.unknown()),
});

// Support chat.
export const chatMessageSchema = v.strictObject({
  text: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(CHAT.maxTextLength)),
  clientMessageId: text(1, 64),
});
export const chatHistoryRequestSchema = v.strictObject({
  before: v.optional(integer(1)),
  limit: v.optional(integer(1, CHAT.maxHistoryPage)),
});
export const chatTypingSchema = v.strictObject({ typing: v.boolean() });
export const chatReadSchema = v.strictObject({ seq: integer(0) });
export const conversationsRequestSchema = v.strictObject({
  /** `nextBefore` (a conversation's `cursor`) from the previous page. */
  before: v.optional(integer(1)),
  limit: v.optional(integer(1, CHAT.maxHistoryPage)),
});

/** Schemas of `data` for every client event; an event not listed here is `unknown_event`. */
export const clientEventSchemas = {
  "room:info": v.undefined(),
  "notification:read": notificationReadSchema,
  "page:navigate": pageNavigateSchema,
  "user:update": userUpdateSchema,
  "chat:message": chatMessageSchema,
  "chat:history": chatHistoryRequestSchema,
  "chat:typing": chatTypingSchema,
  "chat:read": chatReadSchema,
  "support:conversations": conversationsRequestSchema,
} as const;
export type ClientEvent = keyof typeof clientEventSchemas;

export const clientFrameSchema = v.object({
  event: text(1, 100),
  data: v.optional(v.unknown()),
  ack: v.optional(integer(0)),
});
export type ClientFrame = v.InferOutput<typeof clientFrameSchema>;

/** Query parameters of a resuming upgrade: `/ws/{room}?token=…&since=41&epoch=9f2c…`. */
export const resumeQuerySchema = v.object({
  since: v.pipe(
    v.string(),
    v.regex(/^\d+$/, "must be a number"),
    v.toNumber(),
    v.integer(),
    v.maxValue(Number.MAX_SAFE_INTEGER),
  ),
  epoch: v.pipe(v.string(), v.regex(EPOCH_PATTERN)),
});
