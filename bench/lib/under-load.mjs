/**
 * One bench target with the bench's load running, for the profilers (profile.mjs, perf.mjs): by
 * default the hub on bare workerd (`--target hub-bare`; also floor-bare, partyserver-bare, or
 * hub-workerd under wrangler dev), started from a copy of the sources, the load client's sockets in
 * `rooms` order rooms, and the open-loop publisher, all pinned and prioritized like the bench's
 * trials (real-time when run as root; `--rt no` leaves it).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../../scripts/lib/wrangler-dev.mjs";
import { killAllNow, setRealtime, startWorker } from "./children.mjs";
import { bundleBareWorkers, REPO, snapshotHub, startTarget, TARGETS } from "./targets.mjs";
import { BENCH_BROADCAST_SECRET } from "./tokens.mjs";

/** `--target --subs --rooms --rate --seconds --out --rt` of a profiler's command line. */
export function loadOptions(defaultSeconds) {
  const { values } = parseArgs({
    options: {
      subs: { type: "string", default: "1000" },
      rooms: { type: "string", default: "1" },
      rate: { type: "string", default: "10" },
      seconds: { type: "string", default: String(defaultSeconds) },
      out: { type: "string" },
      target: { type: "string", default: "hub-bare" },
      rt: { type: "string" },
    },
  });
  if (!TARGETS[values.target] || TARGETS[values.target].kind !== "hub") {
    throw new Error(`--target: one of ${Object.keys(TARGETS).filter((t) => TARGETS[t].kind === "hub")}`);
  }
  const asRoot = process.getuid?.() === 0;
  return {
    target: values.target,
    realtime: (values.rt ?? (asRoot ? "yes" : "no")) === "yes",
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
export async function underLoad({ target: name, realtime, subs, rooms, rate }, measure) {
  const workDir = mkdtempSync(join(tmpdir(), "roomcast-under-load-"));
  const hubDir = snapshotHub(workDir);
  const bundles = await bundleBareWorkers([name], workDir, hubDir);
  setRealtime(realtime);
  const client = await startWorker("1", join(REPO, "bench/load-client.mjs"), "load client");
  const publisher = await startWorker("1", join(REPO, "bench/publisher.mjs"), "publisher");
  const target = await startTarget(name, {
    hubDir,
    bundles,
    serverCores: "0",
    heartbeatMs: 30_000,
    persistRoot: "/dev/shm",
    inspectorPort: TARGETS[name].runtime === "bare" ? await freePort() : undefined,
  });
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
      wsPath: target.wsPath,
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
    const bundle = bundles[TARGETS[name].worker];
    return await measure({ target, opened: connect.opened, publish, workDir, bundle });
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

/**
 * Writes a profiler's Markdown report to `out` (default `bench/<name>`), prints its first
 * `echoLines` lines (all by default) and where it went.
 *
 * @param {string[]} lines
 * @param {{ out?: string, name: string, echoLines?: number }} where
 */
export function writeReport(lines, { out, name, echoLines }) {
  const path = out ?? join(REPO, "bench", name);
  writeFileSync(path, lines.join("\n"));
  console.error(lines.slice(0, echoLines).join("\n"));
  console.error(`written to ${path}`);
}
