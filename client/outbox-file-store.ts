/**
 * An outbox store in one JSON file, for Node backends without a database at hand. Every change
 * rewrites the file through a temporary file and a rename, so a crash leaves the old or the new
 * contents, never half of either. Node only (`node:fs`).
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import type { OutboxEntry, OutboxStore } from "./outbox.js";

/**
 * @example
 * import { fileOutboxStore } from "roomcast/publisher/file-store";
 * const store = fileOutboxStore("/var/lib/app/hub-outbox.json");
 */
export function fileOutboxStore(path: string): OutboxStore {
  // Changes are applied one after another, so concurrent publishes cannot lose each other's entries.
  let queue: Promise<unknown> = Promise.resolve();
  const read = async (): Promise<OutboxEntry[]> => {
    try {
      return JSON.parse(await readFile(path, "utf8")) as OutboxEntry[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
  };
  const change = (apply: (entries: OutboxEntry[]) => OutboxEntry[]): Promise<void> => {
    const next = queue.then(async () => {
      const entries = apply(await read());
      const temporary = `${path}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify(entries));
      await rename(temporary, path);
    });
    queue = next.catch(() => {});
    return next;
  };
  return {
    add: (entry) => change((entries) => [...entries.filter((known) => known.id !== entry.id), entry]),
    remove: (id) => change((entries) => entries.filter((known) => known.id !== id)),
    list: () => queue.then(read),
  };
}
