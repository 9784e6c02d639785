/**
 * The hub on its workerd port with the bench's load running, for the profilers (profile.mjs,
 * perf.mjs): a fresh `wrangler dev` from a copy of the sources, the load client's sockets in
 * `rooms` order rooms, and the open-loop publisher, all pinned like the bench's trials.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { killAllNow, startWorker } from "./children.mjs";
import { REPO, snapshotHub, startTarget } from "./targets.mjs";
import { BENCH_BROADCAST_SECRET } from "./tokens.mjs";

/** `--subs --rooms --rate --seconds --out` of a profiler's command line, as numbers. */
export function loadOptions(defaultSeconds) {
  const { values } = parseArgs({
    options: {
      subs: { type: "string", default: "1000" },
      rooms: { type: "string", default: "1" },
      rate: { type: "string", default: "10" },
      seconds: { type: "string", default: String(defaultSeconds) },
      out: { type: "string" },
    },
  });
  return {
    subs: Number(values.subs),
    rooms: Number(values.rooms),
    rate: Number(values.rate),
    seconds: Number(values.seconds),
    out: values.out,
  };
}

/**
 * Starts everything, connects the sockets, warms up for 2 s, then calls `measure` with the target
 * and `publish(ms)` (publishes at the rate for `ms`, resolving with the publisher's report).
 * Stops everything afterwards, also on failure.
 */
export async function underLoad({ subs, rooms, rate }, measure) {
  const workDir = mkdtempSync(join(tmpdir(), "roomcast-under-load-"));
  const hubDir = snapshotHub(workDir);
  const client = await startWorker("1", join(REPO, "bench/load-client.mjs"), "load client");
  const publisher = await startWorker("1", join(REPO, "bench/publisher.mjs"), "publisher");
  const target = await startTarget("hub-workerd", { hubDir, serverCores: "0", heartbeatMs: 30_000 });
  try {
    const groups = Array.from({ length: rooms }, (_, i) => ({
      room: `order-load${i}`,
      count: Math.round(subs / rooms),
      roles: ["kitchen"],
      subPrefix: `l${i}x`,
    }));
    const connect = await client.call("connect", {
      target: "hub",
      base: target.wsBase,
      groups,
      concurrency: 200,
      heartbeatMs: 30_000,
      timeoutMs: 30_000,
    });
    const publish = (ms, tag = "s0") =>
      publisher.call("run", {
        url: target.broadcastUrl,
        secret: BENCH_BROADCAST_SECRET,
        rate,
        durationMs: ms,
        tag,
        rooms: groups.map((g) => g.room),
      });
    await publish(2_000, "w");
    return await measure({ target, opened: connect.opened, publish, workDir });
  } finally {
    await client.call("close").catch(() => {});
    await target.stop();
    await client.stop();
    await publisher.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Runs a profiler's main: exit 0 when it resolves, 1 (after stopping every child) when it throws. */
export function runMain(main) {
  process.on("SIGINT", () => {
    killAllNow();
    process.exit(130);
  });
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      killAllNow();
      process.exit(1);
    },
  );
}
