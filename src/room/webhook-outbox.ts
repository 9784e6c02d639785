/**
 * A room's outbox of webhooks to the backend (WEBHOOK_URL): each event is a row in the room's
 * SQLite storage until the backend answers 2xx, so a delivery survives eviction and restarts and
 * is retried with backoff from the room's alarm. At least once: the same id and body on every
 * attempt, for the receiver to dedupe. Queuing is one insert; sending never holds up a fan-out
 * or a join (it runs after them, and the object takes other events while a request is out).
 * Without WEBHOOK_URL nothing is stored or sent.
 */
import type { Env } from "../env";
import { log } from "../ops/log";
import { recordMetric } from "../ops/metrics";
import { webhookHeaders } from "../ops/webhook-signature";

/** What the hub tells a backend about. */
export type WebhookType = "room.occupied" | "room.vacated" | "member.joined" | "member.left" | "chat.message";

/** Delays between attempts (s): 13 attempts over about 37 minutes, then the delivery is dropped. */
export const WEBHOOK_RETRY_DELAYS_S = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600] as const;
const SEND_TIMEOUT_MS = 10_000;
const BATCH = 20;

interface OutboxRow {
  id: string;
  body: string;
  attempts: number;
  [key: string]: SqlStorageValue;
}

export class WebhookOutbox {
  private sending = false;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly env: Env,
    private readonly kind: () => string,
    /** Asks for the room's alarm at `at` (ms) or earlier. */
    private readonly wakeAt: (at: number) => Promise<void>,
  ) {}

  static migrate(sql: SqlStorage): void {
    sql.exec(
      "CREATE TABLE IF NOT EXISTS webhook_outbox (id TEXT PRIMARY KEY, body TEXT NOT NULL, attempts INTEGER NOT NULL, next_at INTEGER NOT NULL)",
    );
  }

  get enabled(): boolean {
    return Boolean(this.env.WEBHOOK_URL && this.env.WEBHOOK_SECRET);
  }

  /** Queues an event for the backend and starts sending; does nothing without WEBHOOK_URL. */
  queue(room: string, type: WebhookType, data: Record<string, unknown>): void {
    if (!this.enabled) return;
    const now = Date.now();
    const id = `wh_${crypto.randomUUID().replaceAll("-", "")}`;
    const body = JSON.stringify({ id, type, room, createdAt: new Date(now).toISOString(), data });
    this.storage.sql.exec(
      "INSERT INTO webhook_outbox (id, body, attempts, next_at) VALUES (?, ?, 0, ?)",
      id,
      body,
      now,
    );
    void this.sendDue();
  }

  /** When the next delivery is due (ms), or null when nothing waits. */
  nextDue(): number | null {
    if (!this.enabled) return null;
    return this.storage.sql.exec<{ at: number | null }>("SELECT min(next_at) AS at FROM webhook_outbox").one().at;
  }

  /** Sends what is due, oldest first, one at a time; what fails waits for its next attempt. */
  async sendDue(): Promise<void> {
    if (this.sending || !this.enabled) return;
    this.sending = true;
    try {
      for (;;) {
        const due = this.storage.sql
          .exec<OutboxRow>(
            "SELECT id, body, attempts FROM webhook_outbox WHERE next_at <= ? ORDER BY rowid LIMIT ?",
            Date.now(),
            BATCH,
          )
          .toArray();
        if (due.length === 0) break;
        for (const row of due) await this.attempt(row);
      }
      const next = this.nextDue();
      if (next !== null) await this.wakeAt(next);
    } catch (error) {
      log.error({ event: "webhook.outbox_failed", where: "webhook-outbox", kind: this.kind(), error });
    } finally {
      this.sending = false;
    }
  }

  private async attempt(row: OutboxRow): Promise<void> {
    const { WEBHOOK_URL: url, WEBHOOK_SECRET: secret } = this.env;
    if (!url || !secret) return;
    let status = 0;
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: await webhookHeaders(secret, row.id, row.body, Date.now()),
        body: row.body,
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      status = response.status;
      await response.body?.cancel();
    } catch {
      // Unreachable, refused or timed out: retried like a 5xx.
    }
    if (status >= 200 && status < 300) {
      this.storage.sql.exec("DELETE FROM webhook_outbox WHERE id = ?", row.id);
      recordMetric(this.env.METRICS, "webhook", { kind: this.kind(), code: "delivered" });
      return;
    }
    const delay = WEBHOOK_RETRY_DELAYS_S[row.attempts];
    if (delay === undefined) {
      this.storage.sql.exec("DELETE FROM webhook_outbox WHERE id = ?", row.id);
      recordMetric(this.env.METRICS, "webhook", { kind: this.kind(), code: "dropped" });
      log.error({ event: "webhook.dropped", where: "webhook-outbox", kind: this.kind(), code: status });
      return;
    }
    this.storage.sql.exec(
      "UPDATE webhook_outbox SET attempts = attempts + 1, next_at = ? WHERE id = ?",
      Date.now() + delay * 1000,
      row.id,
    );
    recordMetric(this.env.METRICS, "webhook", { kind: this.kind(), code: "retrying" });
    log.warn({ event: "webhook.retrying", where: "webhook-outbox", kind: this.kind(), code: status });
  }
}
