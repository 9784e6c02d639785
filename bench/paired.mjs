/**
 * Two bare-workerd targets measured at the same time, under the same load: the paired form of
 * run.mjs's side-by-side trials, for ratios that this machine's drifting speed cannot move.
 *
 *   node bench/paired.mjs --a hub-bare --b floor-row-bare            # D: the hub against the floor with a row
 *   node bench/paired.mjs --a hub-bare --b hub-bare                  # the method's own spread (an A/A test)
 *   node bench/paired.mjs --a hub-bare --a-src ../variant --b hub-bare   # a change against main, by CPU per publish
 *   options: --workload D|A (default D), --windows N (default 12), --window-ms MS (default 5000),
 *            --rt yes|no (real-time priority; default yes as root), --out FILE (Markdown), --note TEXT
 *
 * run.mjs runs its targets one after the other (A B, then B A), 20 s apart: on this machine a
 * whole trial has run 20-30% faster than the one before it, so a ratio of two trials moves by
 * more than the few percent a change to the hub is worth. Here both targets run at once on the
 * server core, each with its own load client and publisher on the other core, publishing at the
 * workload's rate in the same windows, half a period apart: whatever slows the core slows both, and each window gives
 * one ratio of their CPU per publish (user + system time of each workerd from /proc over the
 * same wall-clock window, divided by the publishes it accepted). The report gives every window's
 * ratio, their median and their spread.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { killAllNow, setRealtime, startWorker } from "./lib/children.mjs";
import { cpuDelta, cpuSnapshot } from "./lib/proc.mjs";
import { median } from "./lib/stats.mjs";
import { bundleBareWorkers, REPO, snapshotHub, startTarget, TARGETS } from "./lib/targets.mjs";
import { BENCH_BROADCAST_SECRET } from "./lib/tokens.mjs";
import { workloads } from "./lib/workloads.mjs";

const { values: opts } = parseArgs({
  options: {
    a: { type: "string", default: "hub-bare" },
    b: { type: "string", default: "floor-row-bare" },
    "a-src": { type: "string" },
    "b-src": { type: "string" },
    workload: { type: "string", default: "D" },
    rounds: { type: "string", default: "4" },
    windows: { type: "string", default: "3" },
    "window-ms": { type: "string", default: "5000" },
    rt: { type: "string" },
    out: { type: "string" },
    note: { type: "string" },
  },
});

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
const log = (line) => console.error(`[paired] ${line}`);

/** One side: its target's bundle built from its sources, its own load client and publisher. */
async function prepareSide(label, name, src, workDir) {
  const target = TARGETS[name];
  if (!target || target.runtime !== "bare") throw new Error(`--${label}: a bare-workerd target, not ${name}`);
  const sideDir = join(workDir, label);
  const hubDir = target.worker === "hub" ? snapshotHub(sideDir, src) : undefined;
  const bundles = await bundleBareWorkers([name], sideDir, hubDir);
  const client = await startWorker("1", join(REPO, "bench/load-client.mjs"), `load client ${label}`);
  const publisher = await startWorker("1", join(REPO, "bench/publisher.mjs"), `publisher ${label}`);
  return { label, name, hubDir, bundles, client, publisher, server: null };
}

/** A fresh server for one round (a new workerd process on new storage). */
async function startServer(side) {
  side.server = await startTarget(side.name, {
    hubDir: side.hubDir,
    bundles: side.bundles,
    serverCores: "0",
    heartbeatMs: 30_000,
    persistRoot: "/dev/shm",
  });
}

async function stopServer(side) {
  await side.client.call("close").catch(() => {});
  await side.server?.stop();
  side.server = null;
}

async function waitForDeliveries(side, tag, expected) {
  const deadline = Date.now() + 10_000;
  let received = 0;
  while (Date.now() < deadline) {
    received = (await side.client.call("counts")).received[tag] ?? 0;
    if (received >= expected) break;
    await sleep(50);
  }
  return received;
}

/** Both sides publish for `ms` in the same window; each side's CPU per publish over it. */
async function window(sides, workload, rate, ms, tag, lead = 0) {
  const rooms = workload.groups.map((g) => g.room);
  // Half a period apart, so that the two sides' publishes interleave rather than collide; the side
  // that goes first alternates from window to window.
  const periodNs = BigInt(Math.round(1e9 / rate));
  const startNs = process.hrtime.bigint() + 20_000_000n;
  const startAt = (i) => String(startNs + (i === lead ? 0n : periodNs / 2n));
  const perRoom = Object.fromEntries(workload.groups.map((g) => [g.room, g.count]));
  const pids = sides.flatMap((side) => side.server.processes.map((p) => p.pid));
  const before = cpuSnapshot(pids);
  const runs = await Promise.all(
    sides.map((side, i) =>
      side.publisher.call("run", {
        startAtNs: startAt(i),
        url: side.server.broadcastUrl,
        secret: BENCH_BROADCAST_SECRET,
        rate,
        durationMs: ms,
        tag,
        rooms,
      }),
    ),
  );
  const expected = runs.map((run) => Object.values(run.accepted).reduce((sum, i) => sum + perRoom[rooms[i]], 0));
  const received = await Promise.all(sides.map((side, i) => waitForDeliveries(side, tag, expected[i])));
  const delta = cpuDelta(before, cpuSnapshot(pids));
  return sides.map((side, i) => {
    const us = side.server.processes.reduce((sum, p) => sum + (delta.us.get(p.pid) ?? 0), 0);
    return {
      published: runs[i].total,
      accepted: runs[i].ok,
      expected: expected[i],
      received: received[i],
      usPerPublish: us / runs[i].ok,
    };
  });
}

function spreadOf(values) {
  const sorted = [...values].sort((x, y) => x - y);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
  return { min: sorted[0], q1: at(0.25), median: median(values), q3: at(0.75), max: sorted.at(-1) };
}

async function main() {
  const workload = workloads("full").find((w) => w.id === opts.workload);
  if (!workload || workload.kind !== "latency") throw new Error(`--workload: one of A, C, D (got ${opts.workload})`);
  const rate = workload.steps[0].rate;
  const windowMs = Number(opts["window-ms"]);
  const rounds = Number(opts.rounds);
  const perRound = Number(opts.windows);
  setRealtime((opts.rt ?? (process.getuid?.() === 0 ? "yes" : "no")) === "yes");
  const workDir = mkdtempSync(join(tmpdir(), "roomcast-paired-"));
  const sides = [];
  const started = new Date();
  try {
    sides.push(await prepareSide("a", opts.a, resolve(opts["a-src"] ?? REPO), workDir));
    sides.push(await prepareSide("b", opts.b, resolve(opts["b-src"] ?? REPO), workDir));
    const rows = [];
    for (let round = 0; round < rounds; round++) {
      // A process keeps what it drew at start (memory layout, the JIT's choices) for its life: the
      // ratio of one pair of processes has been seen 5-9% off another pair's, so every round starts
      // both afresh, the other one first each time.
      for (const side of round % 2 === 0 ? sides : [...sides].reverse()) await startServer(side);
      try {
        await roundOfWindows(sides, workload, rate, windowMs, perRound, round, rows);
      } finally {
        for (const side of sides) await stopServer(side);
      }
    }
    const report = render({ workload, rate, windowMs, rows, rounds, started });
    if (opts.out) writeFileSync(opts.out, report);
    console.log(report);
    return rows.some((row) => row.lost) ? 1 : 0;
  } finally {
    for (const side of sides) {
      await stopServer(side);
      await side.client.stop();
      await side.publisher.stop();
    }
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Connects both sides' sockets, warms up, then measures `count` windows into `rows`. */
async function roundOfWindows(sides, workload, rate, windowMs, count, round, rows) {
  const connects = await Promise.all(
    sides.map((side) =>
      side.client.call("connect", {
        target: "hub",
        base: side.server.wsBase,
        wsPath: side.server.wsPath,
        groups: workload.groups,
        concurrency: 200,
        heartbeatMs: 30_000,
        timeoutMs: 30_000,
      }),
    ),
  );
  for (const [i, connect] of connects.entries()) {
    if (connect.failed > 0) throw new Error(`side ${sides[i].label}: ${connect.failed} sockets failed to join`);
  }
  await window(sides, workload, rate, workload.warmupMs, `r${round}w`);
  for (let i = 0; i < count; i++) {
    const [a, b] = await window(sides, workload, rate, windowMs, `r${round}p${i}`, i % 2);
    const lost = [a, b].some((s) => s.received < s.expected || s.accepted < s.published);
    rows.push({ round, a, b, ratio: a.usPerPublish / b.usPerPublish, lost });
    log(
      `round ${round + 1} window ${i + 1}/${count}: a ${a.usPerPublish.toFixed(0)} us, b ${b.usPerPublish.toFixed(0)} us per publish, a/b ${(a.usPerPublish / b.usPerPublish).toFixed(3)}${lost ? " (deliveries missing)" : ""}`,
    );
  }
}

/** Two-sided 95% quantiles of Student's t by degrees of freedom (1-10; about 2 beyond). */
const T95 = [12.71, 4.3, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23];

/**
 * The rounds' ratios, one per pair of processes (the median of its windows), and their geometric
 * mean with a 95% interval: the processes' draw, not the windows, is what varies most.
 */
function summarize(rows, rounds) {
  const perRound = Array.from({ length: rounds }, (_, round) =>
    median(rows.filter((row) => row.round === round).map((row) => row.ratio)),
  ).filter((x) => x !== null);
  const logs = perRound.map(Math.log);
  const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
  const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, logs.length - 1));
  const half = logs.length > 1 ? (T95[logs.length - 2] ?? 2) * (sd / Math.sqrt(logs.length)) : Number.NaN;
  return { perRound, ratio: Math.exp(mean), low: Math.exp(mean - half), high: Math.exp(mean + half) };
}

function render({ workload, rate, windowMs, rows, rounds, started }) {
  const f = (x) => x.toFixed(0);
  const r = (x) => (Number.isFinite(x) ? `${x.toFixed(3)}x` : "-");
  const { perRound, ratio, low, high } = summarize(rows, rounds);
  const windows = spreadOf(rows.map((row) => row.ratio));
  const describe = (label) => {
    const name = opts[label];
    const src = opts[`${label}-src`];
    return `\`${name}\`${TARGETS[name].worker === "hub" ? ` from ${src ? `\`${src}\`` : "this checkout"}` : ""}`;
  };
  return [
    `# Paired: ${describe("a")} against ${describe("b")}, workload ${workload.id}`,
    "",
    `${started.toISOString()}; ${workload.title}; ${rounds} rounds (each a fresh pair of processes, started in turn) of ${rows.length / rounds} windows of ${windowMs / 1000} s, ${rate} publishes/s on each side at once, both servers on core 0.${opts.note ? ` ${opts.note}` : ""}`,
    "",
    `**a/b, CPU per publish: ${r(ratio)} (95% interval ${r(low)}-${r(high)})**; the rounds: ${perRound.map(r).join(", ")}; single windows ${r(windows.min)}-${r(windows.max)}.`,
    "",
    "| round | window | a, us per publish | b, us per publish | a/b | deliveries |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows.map(
      (row, i) =>
        `| ${row.round + 1} | ${i + 1} | ${f(row.a.usPerPublish)} | ${f(row.b.usPerPublish)} | ${r(row.ratio)} | ${row.lost ? "missing" : "all"} |`,
    ),
    "",
  ].join("\n");
}

process.on("SIGINT", () => {
  killAllNow();
  process.exit(130);
});
main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    killAllNow();
    process.exit(1);
  },
);
