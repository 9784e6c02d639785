/**
 * A small listener registry. A listener that throws is reported and does not stop the others:
 * one broken handler in an app must not silence every other handler of the same event.
 */

// biome-ignore lint/suspicious/noExplicitAny: listeners of every signature are stored together.
export type AnyFunction = (...args: any[]) => void;

interface Entry {
  fn: AnyFunction;
  once: boolean;
}

export class ListenerRegistry {
  private readonly byEvent = new Map<string, Entry[]>();

  add(event: string, fn: AnyFunction, once = false): void {
    const entries = this.byEvent.get(event) ?? [];
    entries.push({ fn, once });
    this.byEvent.set(event, entries);
  }

  /** Removes `fn` from `event`, or every listener of `event` when `fn` is omitted. */
  remove(event: string, fn?: AnyFunction): void {
    if (!fn) {
      this.byEvent.delete(event);
      return;
    }
    const entries = this.byEvent.get(event)?.filter((entry) => entry.fn !== fn) ?? [];
    if (entries.length > 0) this.byEvent.set(event, entries);
    else this.byEvent.delete(event);
  }

  clear(): void {
    this.byEvent.clear();
  }

  count(event: string): number {
    return this.byEvent.get(event)?.length ?? 0;
  }

  emit(event: string, args: readonly unknown[]): void {
    const entries = this.byEvent.get(event);
    if (!entries) return;
    // A snapshot: listeners may add or remove listeners while being called.
    for (const entry of [...entries]) {
      if (entry.once) this.remove(event, entry.fn);
      invokeSafely(entry.fn, args, event);
    }
  }
}

export function invokeSafely(fn: AnyFunction, args: readonly unknown[], what: string): void {
  try {
    fn(...args);
  } catch (error) {
    console.error(`roomcast: a "${what}" listener threw`, error);
  }
}
