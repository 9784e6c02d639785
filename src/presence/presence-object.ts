/**
 * Live users across the hub: one Durable Object (named "global") that every personal room reports
 * its connections to. It keeps them in SQLite (so presence survives restarts, eviction and more
 * than one Worker), pushes a bounded `live-users-update` to the admin dashboard at most every
 * `PRESENCE.coalesceMs`, and sweeps connections that went silent without a close.
 *
 * The alarm does both jobs: the coalesced push (when something changed and an admin is watching)
 * and the sweep (every `sweepEveryMs` while there are connections). It never throws, so that the
 * platform's retry limit can never stop the sweep.
 */
import { DurableObject } from "cloudflare:workers";
import { AlarmSchedule } from "../alarm-schedule";
import type { Env } from "../env";
import { log } from "../ops/log";
import { recordMetric } from "../ops/metrics";
import { PRESENCE } from "../protocol";
import { callFeature } from "../room/room-api";
import { roomStub } from "../room/room-stub";
import type { PresenceApi } from "./presence-api";
import { staleAfterMs, sweepEveryMs } from "./presence-config";
import type { LiveUsersPush } from "./presence-messages";
import { PresenceStore, type UserSnapshot } from "./presence-store";
import { WriteThroughKv } from "./write-through-kv";

const SCHEMA_VERSION = 1;
const DASHBOARD = "admin-dashboard";
/** Silent connections checked per sweep, and personal rooms asked at once. */
const SWEEP_BATCH = 500;
const SWEEP_CONCURRENCY = 20;
/** A connection its room could not vouch for over this many staleness periods is dropped anyway. */
const ABANDON_AFTER_STALE_PERIODS = 4;
/** Wait before retrying a push the dashboard did not take. */
const PUSH_RETRY_MS = 2_000;

/** Small state in synchronous KV: it must survive eviction as much as the table does. */
const Key = {
  schema: "schema",
  /** Random id of this object's storage: versions compare only within one epoch. */
  epoch: "epoch",
  /**
   * Counts changes: the version of pushes, and the order of path changes. Stored when a version is
   * shown (a push, a read), not on every change: see `change`.
   */
  change: "change",
  /** Something changed since the last push. */
  dirty: "dirty",
  /** No push before this time (ms). */
  pushAfter: "pushAfter",
  /** False once a push reached no admin, until one joins again; pushes to nobody are skipped. */
  watched: "watched",
  /** Bumped by every joining admin, so that a push to nobody cannot unset `watched` set meanwhile. */
  watchEpoch: "watchEpoch",
  /** Next sweep (ms); absent while there are no connections. */
  sweepAt: "sweepAt",
} as const;

export class PresenceObject extends DurableObject<Env> implements PresenceApi {
  private readonly store: PresenceStore;
  /** From `PRESENCE_STALE_AFTER_MS`, read once per wake-up. */
  private readonly staleAfter: number;
  private readonly kv: WriteThroughKv;
  private readonly alarms: AlarmSchedule;
  /** Changes since the stored `change`, which no push or read has shown yet. */
  private unshownChanges = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.staleAfter = staleAfterMs(env);
    const { sql } = ctx.storage;
    const kv = new WriteThroughKv(ctx.storage.kv);
    if (kv.get(Key.schema) !== SCHEMA_VERSION) {
      PresenceStore.migrate(sql);
      if (kv.get(Key.epoch) === undefined) kv.put(Key.epoch, crypto.randomUUID());
      kv.put(Key.schema, SCHEMA_VERSION);
    }
    this.kv = kv;
    // Changes this object counted before it was evicted and never showed: the next version shown
    // must still be new (`dirty` is stored with every change).
    if (kv.get(Key.dirty) === true) this.unshownChanges = 1;
    this.alarms = new AlarmSchedule(ctx.storage);
    this.store = new PresenceStore(sql);
  }

  // ----- RPC from personal rooms -----------------------------------------------------------------

  async reportUser(snapshot: UserSnapshot): Promise<void> {
    recordMetric(this.env.METRICS, "presence_report", { kind: "presence", value: snapshot.connections.length });
    if (this.store.replaceUser(snapshot)) this.changed();
    await this.schedule();
  }

  // ----- RPC from the dashboard and the internal API ---------------------------------------------

  /** The current list. `watch`: an admin will show it, so push changes from now on. */
  async liveUsers(watch = false): Promise<LiveUsersPush> {
    if (watch) {
      const { kv } = this;
      kv.put(Key.watched, true);
      kv.put(Key.watchEpoch, ((kv.get(Key.watchEpoch) as number | undefined) ?? 0) + 1);
      await this.schedule();
    }
    return this.snapshot();
  }

  // ----- alarm: coalesced push and sweep ---------------------------------------------------------

  override async alarm(): Promise<void> {
    const now = Date.now();
    // The alarm that woke us is spent; schedule() below sets the next one.
    this.alarms.cleared();
    try {
      const { kv } = this;
      if (this.pushWanted() && now >= this.pushAfter) await this.push(now);
      const sweepAt = kv.get(Key.sweepAt) as number | undefined;
      if (sweepAt !== undefined && now >= sweepAt) await this.sweep(now);
    } catch (error) {
      log.error({ event: "presence.alarm_failed", where: "presence.alarm", kind: "presence", error });
    } finally {
      await this.schedule();
    }
  }

  private async push(now: number): Promise<void> {
    const { kv } = this;
    const watchEpoch = kv.get(Key.watchEpoch);
    kv.put(Key.dirty, false);
    kv.put(Key.pushAfter, now + PRESENCE.coalesceMs);
    try {
      const reached = await callFeature(roomStub(this.env, DASHBOARD), "pushLiveUsers", this.snapshot());
      // Nobody watching: stop waking the dashboard until an admin joins (and asks with watch).
      if (reached === 0 && kv.get(Key.watchEpoch) === watchEpoch) kv.put(Key.watched, false);
    } catch (error) {
      log.warn({ event: "presence.push_failed", where: "presence.alarm", kind: "presence", error });
      kv.put(Key.dirty, true);
      kv.put(Key.pushAfter, now + PUSH_RETRY_MS);
    }
  }

  /**
   * Asks the personal rooms about connections not heard from for `staleAfterMs`: the room closes
   * those without a recent heartbeat and vouches for the others; presence drops what it did not
   * vouch for.
   */
  private async sweep(now: number): Promise<void> {
    const { kv } = this;
    const { staleAfter } = this;
    kv.put(Key.sweepAt, now + sweepEveryMs(staleAfter));

    const silent = this.store.silentSince(now - staleAfter, SWEEP_BATCH);
    const byUser = new Map<string, { id: string; lastSeenAt: number }[]>();
    for (const row of silent) {
      const rows = byUser.get(row.userId) ?? [];
      rows.push(row);
      byUser.set(row.userId, rows);
    }
    const users = [...byUser];
    for (let i = 0; i < users.length; i += SWEEP_CONCURRENCY) {
      const batch = users.slice(i, i + SWEEP_CONCURRENCY);
      await Promise.all(batch.map(([userId, rows]) => this.check(userId, rows, staleAfter, now)));
    }
    // A full batch may have left more behind: come back soon rather than a whole period later.
    if (silent.length === SWEEP_BATCH) kv.put(Key.sweepAt, now + 1_000);
    if (this.store.connectionCount() === 0) kv.delete(Key.sweepAt);
  }

  private async check(
    userId: string,
    rows: { id: string; lastSeenAt: number }[],
    staleAfter: number,
    now: number,
  ): Promise<void> {
    const room = `user-${userId}`;
    let alive: Map<string, number>;
    try {
      const answer = await callFeature(roomStub(this.env, room), "checkConnections", {
        ids: rows.map((row) => row.id),
        staleAfterMs: staleAfter,
      });
      alive = new Map(answer.alive.map((entry) => [entry.id, entry.lastSeenAt]));
    } catch (error) {
      log.warn({ event: "presence.check_failed", where: "presence.sweep", kind: "presence", error });
      // Never kept forever: a connection that stays unverifiable this long is dropped (a live one
      // comes back with its next navigation).
      const abandoned = rows.filter((row) => row.lastSeenAt < now - ABANDON_AFTER_STALE_PERIODS * staleAfter);
      if (this.store.remove(abandoned.map((row) => row.id)) > 0) this.changed();
      return;
    }
    let changed = false;
    const gone: string[] = [];
    for (const { id } of rows) {
      const seen = alive.get(id);
      if (seen === undefined) gone.push(id);
      else if (this.store.touch(id, seen)) changed = true;
    }
    if (this.store.remove(gone) > 0) changed = true;
    if (changed) this.changed();
  }

  // ----- state -----------------------------------------------------------------------------------

  /**
   * The version: every change counts one, in memory; the count is stored when a version is shown,
   * so a report writes its rows and no counter. Versions shown only ever grow, across evictions too.
   */
  private get change(): number {
    return (this.kv.get<number>(Key.change) ?? 0) + this.unshownChanges;
  }

  /** The version to show now, stored first so that no later one can be lower. */
  private showChange(): number {
    const version = this.change;
    if (this.unshownChanges > 0) {
      this.kv.put(Key.change, version);
      this.unshownChanges = 0;
    }
    return version;
  }

  private get pushAfter(): number {
    return this.kv.get<number>(Key.pushAfter) ?? 0;
  }

  private pushWanted(): boolean {
    const { kv } = this;
    return kv.get(Key.dirty) === true && kv.get(Key.watched) !== false;
  }

  /** Counts a change: marks a push due and makes sure a sweep is coming. */
  private changed(): void {
    const { kv } = this;
    this.unshownChanges++;
    kv.put(Key.dirty, true);
    if (kv.get(Key.sweepAt) === undefined && this.store.connectionCount() > 0) {
      kv.put(Key.sweepAt, Date.now() + sweepEveryMs(this.staleAfter));
    }
  }

  private snapshot(): LiveUsersPush {
    return {
      epoch: this.kv.get<string>(Key.epoch) as string,
      version: this.showChange(),
      update: this.store.liveUsers(),
    };
  }

  /** Sets the alarm for the earliest of the next push and the next sweep. */
  private async schedule(): Promise<void> {
    let at = Number.POSITIVE_INFINITY;
    if (this.pushWanted()) at = Math.max(Date.now(), this.pushAfter);
    const sweepAt = this.kv.get<number>(Key.sweepAt);
    if (sweepAt !== undefined) at = Math.min(at, sweepAt);
    if (Number.isFinite(at)) await this.alarms.wakeAt(at);
  }
}
