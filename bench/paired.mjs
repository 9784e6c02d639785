/**
 * Two bare-workerd targets measured at the same time, under the same load: the paired form of
 * run.mjs's side-by-side trials, for ratios that this machine's drifting speed cannot move.
 *
 *   node bench/paired.mjs --a hub-bare --b floor-row-bare            # D: the hub against the floor with a row
 *   node bench/paired.mjs --a hub-bare --b hub-bare                  # the method's own spread (an A/A test)
 *   node bench/paired.mjs --a hub-bare --a-src ../variant --b hub-bare   # a change against main, by CPU per publish
 *   node bench/paired.mjs --workload F --a hub-bare --b floor-bare   # joins: CPU per connection
 *   node bench/paired.mjs --smoke [--workload F]   # the workload's smoke size, one round (paired-suite.mjs --smoke in npm test); exit 1 on a loss
 *   options: --workload A|C|D|F|F2 (default D), --rounds N (default 4: fresh processes each),
 *            --windows N per round (default 3), --window-ms MS (default 5000), --rt yes|no
 *            (real-time priority; default yes as root), --out FILE (Markdown), --json FILE (the
 *            summary, for paired-suite.mjs), --note TEXT
 *
 * run.mjs runs its targets one after the other (A B, then B A), 20 s apart: on this machine a whole
 * trial has run 20-30% faster than the one before it, so a ratio of two trials moves by more than
 * the few percent a change to the hub is worth. Here both targets run at once on the server core,
 * each with its own load client and publisher on the other core, publishing at the workload's rate
 * in the same windows, half a period apart: whatever slows the core slows both (F and F2: one
 * side's storm right after the other's, see roundOfStorm). Each window gives one ratio of their CPU
 * per publish (user + system time of every thread of each workerd, /proc's schedstat in ns, over
 * the same wall-clock window, over the publishes it accepted). A pair of processes keeps a bias of
 * its own for its life (5-9% seen), so the run is made of rounds, each a fresh pair started in
 * turn; the result is the geometric mean of the rounds' ratios with its 95% interval.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { killAllNow, setRealtime, startWorker } from "./lib/children.mjs";
import { waitForDeliveries } from "./lib/deliveries.mjs";
import { median, spread } from "./lib/stats.mjs";
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
    rounds: { type: "string" },
    windows: { type: "string" },
    "window-ms": { type: "string" },
    smoke: { type: "boolean", default: false },
    rt: { type: "string" },
    out: { type: "string" },
    json: { type: "string" },
    note: { type: "string" },
  },
});

/**
 * Nanoseconds on a CPU of every thread of each process, from /proc/<pid>/task/<tid>/schedstat: the
 * clock ticks of /proc/<pid>/stat (10 ms) would make a window's ratio move in steps of about 1.5%.
 */
function cpuNs(pids) {
  const out = new Map();
  for (const pid of pids) {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        // the thread ended in between
      }
    }
    out.set(pid, ns);
  }
  return out;
}

/** Each side's CPU microseconds between two `cpuNs` readings. */
function sideUs(sides, before, after) {
  return sides.map((side) =>
    side.server.processes.reduce((sum, p) => sum + ((after.get(p.pid) ?? 0) - (before.get(p.pid) ?? 0)) / 1000, 0),
  );
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
const log = (line) => console.error(`[paired] ${line}`);

/** One side: its target's bundle built from its sources, its own load client and publisher. */
async function prepareSide(label, name, src, workDir) {
  const target = TARGETS[name];
  if (target?.runtime !== "bare") throw new Error(`--${label}: a bare-workerd target, not ${name}`);
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
  const before = cpuNs(pids);
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
  const received = await Promise.all(sides.map((side, i) => waitForDeliveries(side.client, tag, expected[i], 10_000)));
  const us = sideUs(sides, before, cpuNs(pids));
  return sides.map((_, i) => {
    return {
      published: runs[i].total,
      accepted: runs[i].ok,
      expected: expected[i],
      received: received[i],
      us: us[i] / runs[i].ok,
    };
  });
}

async function main() {
  const smoke = opts.smoke;
  const workload = workloads(smoke ? "smoke" : "full").find((w) => w.id === opts.workload);
  if (!workload || !["A", "C", "D", "F", "F2"].includes(workload.id)) {
    throw new Error(`--workload: one of A, C, D, F, F2 (got ${opts.workload})`);
  }
  const storm = workload.kind === "storm";
  const rate = storm ? null : workload.steps[0].rate;
  const windowMs = Number(opts["window-ms"] ?? (smoke ? 1_000 : 5_000));
  const rounds = Number(opts.rounds ?? (smoke ? 1 : 4));
  const perRound = Number(opts.windows ?? (smoke ? 1 : 3));
  setRealtime((opts.rt ?? (!smoke && process.getuid?.() === 0 ? "yes" : "no")) === "yes");
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
        if (storm) await roundOfStorm(sides, workload, round, rows);
        else await roundOfWindows(sides, workload, rate, windowMs, perRound, round, rows);
      } finally {
        for (const side of sides) await stopServer(side);
      }
    }
    const summary = summarize(rows, rounds);
    const report = render({ workload, rate, windowMs, rows, rounds, started, summary });
    if (opts.out) writeFileSync(opts.out, report);
    if (opts.json) {
      const { perRound, ratio, low, high } = summary;
      const lost = rows.some((row) => row.lost);
      const result = { workload: workload.id, a: opts.a, b: opts.b, rounds, perRound, ratio, low, high, lost };
      writeFileSync(opts.json, JSON.stringify(result));
    }
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
    rows.push({ round, a, b, ratio: a.us / b.us, lost });
    log(
      `round ${round + 1} window ${i + 1}/${count}: a ${a.us.toFixed(0)} us, b ${b.us.toFixed(0)} us per publish, a/b ${(a.us / b.us).toFixed(3)}${lost ? " (deliveries missing)" : ""}`,
    );
  }
}

/**
 * F and F2: each side's clients open every socket at once on its own fresh server, one side's
 * storm right after the other's (the first alternating by round), seconds apart rather than a
 * trial apart. Not at the same time: two storms saturating one core add the same cost of
 * contention to both (CPU per connection about doubled, seen), which would pull the ratio to 1.
 */
async function roundOfStorm(sides, workload, round, rows) {
  const count = workload.groups.reduce((sum, g) => sum + g.count, 0);
  const result = {};
  for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
    await sleep(1_500);
    const pids = side.server.processes.map((p) => p.pid);
    const before = cpuNs(pids);
    const connect = await side.client.call("connect", {
      target: "hub",
      base: side.server.wsBase,
      wsPath: side.server.wsPath,
      groups: workload.groups,
      concurrency: count,
      heartbeatMs: 30_000,
      timeoutMs: 60_000,
    });
    const [us] = sideUs([side], before, cpuNs(pids));
    result[side.label] = { us: us / connect.opened, opened: connect.opened, expected: count };
  }
  const { a, b } = result;
  const lost = [a, b].some((s) => s.opened < s.expected);
  rows.push({ round, a, b, ratio: a.us / b.us, lost });
  log(
    `round ${round + 1}: a ${a.us.toFixed(0)} us, b ${b.us.toFixed(0)} us per connection, a/b ${(a.us / b.us).toFixed(3)}${lost ? " (joins failed)" : ""}`,
  );
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

function render({ workload, rate, windowMs, rows, rounds, started, summary }) {
  const storm = workload.kind === "storm";
  const unit = storm ? "connection" : "publish";
  const how = storm
    ? `${rounds} rounds, each a fresh pair of processes (started in turn) whose clients open every socket at once, one side right after the other (the first alternating)`
    : `${rounds} rounds (each a fresh pair of processes, started in turn) of ${rows.length / rounds} windows of ${windowMs / 1000} s, ${rate} publishes/s on each side at once`;
  const f = (x) => x.toFixed(0);
  const r = (x) => (Number.isFinite(x) ? `${x.toFixed(3)}x` : "-");
  const { perRound, ratio, low, high } = summary;
  const windows = spread(rows.map((row) => row.ratio));
  const describe = (label) => {
    const name = opts[label];
    const src = opts[`${label}-src`];
    return `\`${name}\`${TARGETS[name].worker === "hub" ? ` from ${src ? `\`${src}\`` : "this checkout"}` : ""}`;
  };
  return [
    `# Paired: ${describe("a")} against ${describe("b")}, workload ${workload.id}`,
    "",
    `${started.toISOString()}; ${workload.title}; ${how}, both servers on core 0.${opts.note ? ` ${opts.note}` : ""}`,
    "",
    `**a/b, CPU per ${unit}: ${r(ratio)} (${Number.isFinite(low) ? `95% interval ${r(low)}-${r(high)}` : "one round: no interval"})**; the rounds: ${perRound.map(r).join(", ")}; single windows ${r(windows.min)}-${r(windows.max)}.`,
    "",
    `| round | window | a, us per ${unit} | b, us per ${unit} | a/b | ${storm ? "joined" : "deliveries"} |`,
    "| --- | --- | --- | --- | --- | --- |",
    ...rows.map(
      (row, i) =>
        `| ${row.round + 1} | ${i + 1} | ${f(row.a.us)} | ${f(row.b.us)} | ${r(row.ratio)} | ${row.lost ? (storm ? "some failed" : "missing") : "all"} |`,
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
