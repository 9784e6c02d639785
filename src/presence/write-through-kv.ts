/**
 * The presence object's small state (counters, flags, times) read from memory: every report
 * reads several keys, and only this object writes them, so a copy kept beside the synchronous KV
 * storage is exact. Writes go to storage at once (the copy is gone with the object, storage is not),
 * except those that would store what is there already.
 */
export class WriteThroughKv {
  private readonly copy = new Map<string, unknown>();

  constructor(private readonly kv: SyncKvStorage) {}

  get<T = unknown>(key: string): T | undefined {
    if (!this.copy.has(key)) this.copy.set(key, this.kv.get(key));
    return this.copy.get(key) as T | undefined;
  }

  /** Stores `value`; a number, string or boolean the key already holds is not written again. */
  put(key: string, value: unknown): void {
    if (typeof value !== "object" && this.copy.has(key) && this.copy.get(key) === value) return;
    this.kv.put(key, value);
    this.copy.set(key, value);
  }

  delete(key: string): void {
    this.kv.delete(key);
    this.copy.set(key, undefined);
  }
}
