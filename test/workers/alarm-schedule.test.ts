/**
 * One alarm per object, asked for by token expiry, lifetimes, webhooks and presence alike: the
 * earliest time wins, and what is set is read from storage once per wake-up.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { AlarmSchedule } from "../../src/alarm-schedule";
import { uniqueId } from "./helpers";

/**
 * Runs `body` with a fresh room object's storage (a new name: nothing stored, no alarm), and
 * deletes the alarm it set, so that no room wakes up later in the run.
 */
function withFreshStorage(body: (storage: DurableObjectStorage) => Promise<void>) {
  return runInDurableObject(env.ROOMS.getByName(`order-${uniqueId()}`), async (_, state) => {
    try {
      await body(state.storage);
    } finally {
      await state.storage.deleteAlarm();
    }
  });
}

describe("alarm schedule", () => {
  it("sets the alarm for the earliest time asked for, whatever the order of the asks", async () => {
    await withFreshStorage(async (storage) => {
      const now = Date.now();
      const alarms = new AlarmSchedule(storage);
      await alarms.wakeAt(now + 60_000);
      await alarms.wakeAt(now + 30_000);
      await alarms.wakeAt(now + 90_000);
      expect(await storage.getAlarm()).toBe(now + 30_000);
    });
  });

  it("keeps an alarm set before the object woke when it comes sooner than what is asked", async () => {
    await withFreshStorage(async (storage) => {
      const now = Date.now();
      await storage.setAlarm(now + 20_000);
      const alarms = new AlarmSchedule(storage);
      await alarms.wakeAt(now + 60_000);
      expect(await storage.getAlarm()).toBe(now + 20_000);
      await alarms.wakeAt(now + 10_000);
      expect(await storage.getAlarm()).toBe(now + 10_000);
    });
  });

  it("sets a later time once the alarm is spent", async () => {
    await withFreshStorage(async (storage) => {
      const now = Date.now();
      const alarms = new AlarmSchedule(storage);
      await alarms.wakeAt(now + 30_000);
      await alarms.wakeAt(now + 90_000);
      expect(await storage.getAlarm()).toBe(now + 30_000);
      alarms.cleared();
      await alarms.wakeAt(now + 90_000);
      expect(await storage.getAlarm()).toBe(now + 90_000);
    });
  });

  it("reads the storage again once told that what is set is no longer known", async () => {
    await withFreshStorage(async (storage) => {
      const now = Date.now();
      const alarms = new AlarmSchedule(storage);
      await alarms.wakeAt(now + 60_000);
      // Set behind the schedule's back (as a platform retry leaves it): sooner than asked below.
      await storage.setAlarm(now + 10_000);
      alarms.forget();
      await alarms.wakeAt(now + 30_000);
      expect(await storage.getAlarm()).toBe(now + 10_000);
    });
  });

  it("on new storage sets what is asked without reading, but keeps an alarm it set itself", async () => {
    await withFreshStorage(async (storage) => {
      const now = Date.now();
      const alarms = new AlarmSchedule(storage);
      alarms.storageIsNew();
      await alarms.wakeAt(now + 60_000);
      expect(await storage.getAlarm()).toBe(now + 60_000);
      alarms.storageIsNew();
      await alarms.wakeAt(now + 90_000);
      expect(await storage.getAlarm()).toBe(now + 60_000);
    });
  });
});
