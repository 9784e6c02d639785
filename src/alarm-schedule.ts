/**
 * A Durable Object's one alarm, asked for by several parts of it: the earliest time anyone wants
 * wins. The alarm that is set is read from storage once per wake-up and then kept, so that a storm
 * of joins or reports asks the runtime once rather than once each.
 */
export class AlarmSchedule {
  /** The alarm set, once known: a time (ms), null for none, undefined while not read. */
  private at: number | null | undefined;

  constructor(private readonly storage: DurableObjectStorage) {}

  /** Sets the alarm for `at`, unless one is already set no later than that. */
  async wakeAt(at: number): Promise<void> {
    if (this.at === undefined) this.at = await this.storage.getAlarm();
    if (this.at !== null && this.at <= at) return;
    this.at = at;
    await this.storage.setAlarm(at);
  }

  /** No alarm is set: the one that woke the object is spent, or the storage was deleted with it. */
  cleared(): void {
    this.at = null;
  }

  /** The storage is new, so it holds no alarm, unless this object set one since it woke. */
  storageIsNew(): void {
    if (this.at === undefined) this.at = null;
  }

  /** What is set is no longer known (an alarm that threw is retried by the platform): read it again. */
  forget(): void {
    this.at = undefined;
  }
}
