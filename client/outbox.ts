/**
 * An outbox for backends that must never lose an event, even when they themselves restart:
 * each publish is first written to a store the backend keeps (its database, a file), then sent;
 * it leaves the store only once the hub answered. After a restart, `flush()` sends what is still
 * there, with the same ids, so an event the hub had already delivered is not delivered again
 * (the hub remembers ids for 10 minutes: flush on startup).
 */
import type { PublishableEvent, PublishablePayloads } from "../src/protocol.js";
import { randomId } from "./ids.js";
import type { PublishError, Publisher, PublishResult } from "./publisher.js";

/**
 * One publish waiting in the outbox.
 *
 * @example
 * const entry: OutboxEntry = { id: "paid-7", rooms: ["user-42"], event: "notification", data: { title: "Paid", body: "" }, createdAt: new Date().toISOString() };
 */
export interface OutboxEntry {
  /** The publish's idempotency id, reused by every resend. */
  id: string;
  rooms: string[];
  event: PublishableEvent;
  data: unknown;
  /** ISO time it was put in the outbox. */
  createdAt: string;
}

/**
 * Where the outbox keeps entries until the hub has them; it must survive the backend's restarts.
 * With a database, `add` is best done in the same transaction as the change the event reports.
 *
 * @example
 * const store: OutboxStore = {
 *   add: (entry) => db.run("INSERT INTO hub_outbox (id, entry) VALUES (?, ?)", entry.id, JSON.stringify(entry)),
 *   remove: (id) => db.run("DELETE FROM hub_outbox WHERE id = ?", id),
 *   list: async () => (await db.all("SELECT entry FROM hub_outbox ORDER BY rowid")).map((row) => JSON.parse(row.entry)),
 * };
 */
export interface OutboxStore {
  add(entry: OutboxEntry): void | Promise<void>;
  remove(id: string): void | Promise<void>;
  /** Every entry, oldest first. */
  list(): OutboxEntry[] | Promise<OutboxEntry[]>;
}

/**
 * What `outbox.publish` resolves with: the hub's answer, or, when the publisher gave up (the hub
 * stayed away past its retry budget), the error, with the entry still in the store for `flush()`.
 *
 * @example
 * const sent: OutboxSend = await outbox.publish(["order-42"], "order-status-updated", update);
 * if (!sent.ok) log.warn("kept for later", sent.id, sent.error.code);
 */
export type OutboxSend =
  | { ok: true; id: string; result: PublishResult }
  | { ok: false; id: string; error: PublishError };

/**
 * @example
 * const outbox = createOutbox(publisher, store);
 * await outbox.flush(); // on startup: what a previous run could not send
 * await outbox.publish(["order-42", "restaurant-kitchen"], "order-status-updated", { orderId: 42, status: "ready" });
 */
export interface Outbox {
  /** Stores the publish, then sends it; resolves once it is sent or, failing that, kept. */
  publish<E extends PublishableEvent>(
    rooms: string | readonly string[],
    event: E,
    data: PublishablePayloads[E],
    options?: { id?: string },
  ): Promise<OutboxSend>;
  /** Sends every stored entry, oldest first; resolves with how many went out and how many are still kept. */
  flush(): Promise<{ sent: number; kept: number }>;
}

/**
 * Wraps a publisher with an outbox kept in `store`.
 *
 * @example
 * import { createOutbox, createPublisher } from "roomcast/publisher";
 * import { fileOutboxStore } from "roomcast/publisher/file-store";
 *
 * const outbox = createOutbox(createPublisher({ url, secret }), fileOutboxStore("/var/lib/app/hub-outbox.json"));
 * await outbox.flush();
 */
export function createOutbox(publisher: Publisher, store: OutboxStore): Outbox {
  let flushing: Promise<{ sent: number; kept: number }> | null = null;

  async function send(entry: OutboxEntry): Promise<OutboxSend> {
    try {
      const result = await publisher
        .to(entry.rooms)
        .emit(entry.event, entry.data as PublishablePayloads[PublishableEvent], { id: entry.id });
      await store.remove(entry.id);
      return { ok: true, id: entry.id, result };
    } catch (error) {
      const failure = error as PublishError;
      // A refusal (4xx) will never succeed: drop it, or it would block the outbox forever.
      if (failure.status !== undefined && failure.status >= 400 && failure.status < 500 && failure.status !== 429) {
        await store.remove(entry.id);
      }
      return { ok: false, id: entry.id, error: failure };
    }
  }

  return {
    async publish(rooms, event, data, options = {}) {
      const own = event === "notification" ? (data as { id?: unknown }).id : undefined;
      const entry: OutboxEntry = {
        id: options.id ?? (typeof own === "string" ? own : randomId()),
        rooms: typeof rooms === "string" ? [rooms] : [...rooms],
        event,
        data,
        createdAt: new Date().toISOString(),
      };
      await store.add(entry);
      return send(entry);
    },
    flush() {
      flushing ??= (async () => {
        let sent = 0;
        let kept = 0;
        for (const entry of await store.list()) {
          const outcome = await send(entry);
          if (outcome.ok) sent++;
          else if (outcome.error.status === undefined || outcome.error.status >= 500 || outcome.error.status === 429)
            kept++;
        }
        return { sent, kept };
      })().finally(() => {
        flushing = null;
      });
      return flushing;
    },
  };
}
