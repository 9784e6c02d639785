#!/usr/bin/env node
/**
 * `npm run bench`: the hub against a reference Socket.io 4.8 server, on this machine, in one run.
 *
 *   node bench/run.mjs                 full matrix, writes bench/RESULTS.md, bench/latency.svg, bench/results.ndjson
 *   node bench/run.mjs --smoke         tiny workloads, one repetition, every target, into a temp dir;
 *                                      exits 1 when any target fails to deliver
 *   node bench/run.mjs --report-only F re-renders the report from a results.ndjson
 *   options: --out DIR, --reps N, --only A,B,C,D,F,F2 (E runs inside C), --targets hub-bare,floor-bare,socketio,...
 *            --persist-dir DIR (Durable Object storage; default /dev/shm), --stop-ladder (B: stop at the
 *            first failing step instead of running every step), --note TEXT (printed under the title)
 *
 * Method (issue 8): a fresh server per trial; servers pinned to one core and the load client and
 * publisher to the other (taskset); one load client on raw `ws` for every target; an open-loop
 * publisher stamping `process.hrtime.bigint()`; latency in HDR histograms; a warm-up that is
 * discarded; targets interleaved A B C / C B A; CPU from /proc/<pid>/stat of every server process.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { workerdBinary } from "./lib/bare-workerd.mjs";
import { killAllNow, setNiceness, setNofile, setRealtime, startWorker } from "./lib/children.mjs";
import { waitForDeliveries } from "./lib/deliveries.mjs";
import { cpuDelta, cpuSnapshot, rssKiB } from "./lib/proc.mjs";
import { renderReport } from "./lib/report.mjs";
import { decodeHistogram, latencySummary } from "./lib/stats.mjs";
import { bundleBareWorkers, REPO, runsIn, snapshotHub, startTarget, TARGETS } from "./lib/targets.mjs";
import { BENCH_BROADCAST_SECRET } from "./lib/tokens.mjs";
import { workloads as workloadTable } from "./lib/workloads.mjs";

const { values: opts } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    out: { type: "string" },
    reps: { type: "string" },
    only: { type: "string" },
    targets: { type: "string" },
    "report-only": { type: "string" },
    nice: { type: "string" },
    rt: { type: "string" },
    "persist-dir": { type: "string" },
    "stop-ladder": { type: "boolean", default: false },
    note: { type: "string" },
  },
});

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)}s`;
const log = (...args) => console.error(`[bench ${elapsed()}]`, ...args);

// ----- measuring -----------------------------------------------------------------------------------

/** Busy ticks of each core from /proc/stat (to see what else ran on the server core). */
function coreTicks() {
  const out = {};
  for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
    const match = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const [user, nice, system, _idle, _iowait, irq, softirq, steal] = match[2].split(/\s+/).map(Number);
    out[match[1]] = user + nice + system + irq + softirq + steal;
  }
  return out;
}

function rssByLabel(target) {
  const out = {};
  for (const { pid, label } of target.processes) out[label] = (out[label] ?? 0) + (rssKiB(pid) ?? 0);
  return out;
}

function cpuByLabel(target, delta, field = "us") {
  const out = {};
  for (const { pid, label } of target.processes) out[label] = (out[label] ?? 0) + (delta[field].get(pid) ?? 0);
  return out;
}

function coreSum(ticks, cores) {
  return cores === null ? 0 : cores.split(",").reduce((sum, core) => sum + (ticks[core] ?? 0), 0);
}

/** Starts a CPU window over the server, the load client and the publisher. */
function cpuWindow(ctx, target) {
  const pids = [...target.processes.map((p) => p.pid), ctx.client.pid, ctx.publisher.pid];
  const before = cpuSnapshot(pids);
  const coresBefore = coreTicks();
  const selfBefore = process.cpuUsage();
  return () => {
    const after = cpuSnapshot(pids);
    const coresAfter = coreTicks();
    const self = process.cpuUsage(selfBefore);
    const delta = cpuDelta(before, after);
    const byLabel = cpuByLabel(target, delta);
    const systemByLabel = cpuByLabel(target, delta, "systemUs");
    const serverUs = Object.values(byLabel).reduce((a, b) => a + b, 0);
    const clientUs = delta.us.get(ctx.client.pid) ?? 0;
    const publisherUs = delta.us.get(ctx.publisher.pid) ?? 0;
    const usPerTick = 1e6 / ctx.clkTck;
    const busy = (cores) => (coreSum(coresAfter, cores) - coreSum(coresBefore, cores)) * usPerTick;
    // What else ran on each side's cores: other processes of the machine, and interrupts.
    const foreignUs = ctx.serverCores === null ? null : Math.max(0, busy(ctx.serverCores) - serverUs);
    const foreignClientUs =
      ctx.clientCores === null
        ? null
        : Math.max(0, busy(ctx.clientCores) - clientUs - publisherUs - self.user - self.system);
    return {
      wallUs: delta.wallUs,
      serverUs,
      byLabel,
      systemByLabel,
      clientUs,
      publisherUs,
      foreignUs,
      foreignClientUs,
    };
  };
}

function subscribersByRoom(workload, connect) {
  const out = {};
  for (const group of workload.groups) out[group.room] = connect?.openedByRoom?.[group.room] ?? 0;
  return out;
}

/** Publishes at one rate for a while, drains, and computes every figure of that step. */
async function publishStep(ctx, target, workload, step, tag, measured) {
  const rooms = workload.groups.map((g) => g.room);
  const subs = subscribersByRoom(workload, ctx.connect);
  const stop = measured ? cpuWindow(ctx, target) : null;
  const pub = await ctx.publisher.call("run", {
    url: target.broadcastUrl,
    secret: BENCH_BROADCAST_SECRET,
    rate: step.rate,
    durationMs: step.ms,
    tag,
    rooms,
  });
  let expectedAccepted = 0;
  for (const [, roomIndex] of Object.entries(pub.accepted)) expectedAccepted += subs[rooms[roomIndex]];
  await waitForDeliveries(ctx.client, tag, expectedAccepted, ctx.drainMs);
  const cpu = stop?.();
  if (!measured) return null;
  const collected = await ctx.client.call("collect", { tags: [tag] });
  const got = collected.tags[tag];
  let expected = 0;
  let delivered = 0;
  let duplicates = 0;
  for (let seq = 0; seq < pub.total; seq++) {
    const want = subs[rooms[seq % rooms.length]];
    const have = got.perSeq[seq] ?? 0;
    expected += want;
    delivered += Math.min(want, have);
    duplicates += Math.max(0, have - want);
  }
  const latency = latencySummary(got.hist ? decodeHistogram(got.hist) : null);
  const lossPct = expected > 0 ? (100 * (expected - delivered)) / expected : 0;
  const publishErrors = Object.values(pub.errors).reduce((a, b) => a + b, 0);
  return {
    rate: step.rate,
    durationMs: step.ms,
    subscribers: Object.values(subs).reduce((a, b) => a + b, 0),
    offeredPerS: (step.rate * expected) / Math.max(1, pub.total),
    published: pub.total,
    accepted: pub.ok,
    publishErrors,
    publishErrorKinds: pub.errors,
    publisherMaxLagMs: pub.maxLagUs / 1000,
    publishMeanResponseMs: pub.meanResponseUs / 1000,
    expected,
    delivered,
    duplicates,
    lossPct,
    deliveredPerS: delivered / (step.ms / 1000),
    latency,
    hist: got.hist,
    cpu: {
      ...cpu,
      serverUsPerMsg: delivered > 0 ? cpu.serverUs / delivered : null,
      byLabelUsPerMsg: Object.fromEntries(
        Object.entries(cpu.byLabel).map(([label, us]) => [label, delivered > 0 ? us / delivered : null]),
      ),
      clientPct: (100 * cpu.clientUs) / cpu.wallUs,
      serverPct: (100 * cpu.serverUs) / cpu.wallUs,
    },
    counters: collected.counters,
    pass: latency.p99 !== null && latency.p99 < 100 && delivered === expected && publishErrors === 0,
  };
}

async function latencyTrial(ctx, target, workload, result) {
  const connect = await ctx.client.call("connect", {
    target: target.kind,
    base: target.wsBase,
    wsPath: target.wsPath,
    groups: workload.groups,
    concurrency: ctx.connectConcurrency,
    heartbeatMs: ctx.heartbeatMs,
    timeoutMs: 30_000,
  });
  ctx.connect = connect;
  result.connect = summarizeConnect(connect);
  if (connect.failed > 0)
    result.problems.push(`${connect.failed} sockets failed to join: ${JSON.stringify(connect.errors)}`);
  if (workload.idle) {
    await sleep(workload.idle.settleMs);
    result.rssAfter = rssByLabel(target);
    const countersAtStart = (await ctx.client.call("collect", { tags: [] })).counters;
    const stop = cpuWindow(ctx, target);
    await sleep(workload.idle.windowMs);
    const cpu = stop();
    const counters = (await ctx.client.call("collect", { tags: [] })).counters;
    result.idle = { sockets: connect.opened, windowMs: workload.idle.windowMs, cpu, counters, countersAtStart };
  } else {
    await sleep(ctx.settleMs);
    result.rssAfter = rssByLabel(target);
  }
  await publishStep(ctx, target, workload, { rate: workload.steps[0].rate, ms: workload.warmupMs }, "w", false);
  await ctx.client.call("reset");
  result.steps = [];
  for (const [index, step] of workload.steps.entries()) {
    const figures = await publishStep(ctx, target, workload, step, `s${index}`, true);
    result.steps.push(figures);
    const l = figures.latency;
    log(
      `  ${workload.id} ${target.name} ${step.rate}/s: p50 ${fmt(l.p50)} p99 ${fmt(l.p99)} max ${fmt(l.max)} ms,` +
        ` ${Math.round(figures.deliveredPerS)}/s, loss ${figures.lossPct.toFixed(2)}%,` +
        ` ${fmt(figures.cpu.serverUsPerMsg)} us/msg, client ${fmt(figures.cpu.clientPct)}%`,
    );
    if (workload.ladder && !figures.pass && opts["stop-ladder"]) break;
  }
}

async function stormTrial(ctx, target, workload, result) {
  await sleep(ctx.settleMs);
  const stop = cpuWindow(ctx, target);
  const connect = await ctx.client.call("connect", {
    target: target.kind,
    base: target.wsBase,
    wsPath: target.wsPath,
    groups: workload.groups,
    concurrency: workload.groups.reduce((sum, g) => sum + g.count, 0),
    heartbeatMs: ctx.heartbeatMs,
    timeoutMs: 60_000,
  });
  const cpu = stop();
  ctx.connect = connect;
  result.connect = summarizeConnect(connect);
  result.storm = { cpu, serverUsPerConnection: connect.opened > 0 ? cpu.serverUs / connect.opened : null };
  result.rssAfter = rssByLabel(target);
  if (connect.failed > 0)
    result.problems.push(`${connect.failed} sockets failed to join: ${JSON.stringify(connect.errors)}`);
  log(
    `  ${workload.id} ${target.name}: ${connect.opened} joined in ${fmt(connect.durationMs)} ms, ${connect.failed} failed,` +
      ` ${fmt(result.storm.serverUsPerConnection)} us CPU/connection`,
  );
}

function summarizeConnect(connect) {
  const join = latencySummary(decodeHistogram(connect.join));
  return {
    opened: connect.opened,
    failed: connect.failed,
    errors: connect.errors,
    durationMs: connect.durationMs,
    joinP50Ms: join.p50,
    joinP99Ms: join.p99,
    joinMaxMs: join.max,
  };
}

async function runTrial(ctx, workload, targetName, rep) {
  const result = {
    workload: workload.id,
    target: targetName,
    rep,
    ok: true,
    problems: [],
    at: new Date().toISOString(),
  };
  let target = null;
  try {
    target = await startTarget(targetName, {
      hubDir: ctx.hubDir,
      bundles: ctx.bundles,
      serverCores: ctx.serverCores,
      heartbeatMs: ctx.heartbeatMs,
      persistRoot: ctx.persistRoot,
    });
    result.processes = target.processes.map(({ pid, label }) => ({ pid, label }));
    result.ports = { used: target.port, wrangler: target.wranglerPort, direct: target.directPort };
    await sleep(ctx.settleMs);
    result.rssBefore = rssByLabel(target);
    if (workload.kind === "storm") await stormTrial(ctx, target, workload, result);
    else await latencyTrial(ctx, target, workload, result);
  } catch (error) {
    result.ok = false;
    result.error = String(error?.stack ?? error);
    log(`  ${workload.id} ${targetName} rep ${rep} FAILED: ${error?.message ?? error}`);
  } finally {
    if (target) {
      const now = target.currentPids?.() ?? null;
      const before = target.processes.map((p) => p.pid);
      if (now && before.some((pid) => !now.includes(pid))) {
        result.problems.push(`server processes changed during the trial (restart or crash): ${before} -> ${now}`);
      }
      if (!result.ok || result.problems.length > 0 || result.steps?.some((s) => s.lossPct > 0)) {
        result.serverLog = target.output().slice(-4_000);
      }
    }
    try {
      await ctx.client.call("close", {}, 60_000);
    } catch (error) {
      result.problems.push(`client close: ${error.message}`);
    }
    if (target) await target.stop();
    ctx.connect = null;
  }
  return result;
}

/** Busy share of the whole machine (in cores) over `ms`, from /proc/stat. */
async function machineBusyCores(ms) {
  const before = coreTicks();
  const t0 = process.hrtime.bigint();
  await sleep(ms);
  const after = coreTicks();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  let ticks = 0;
  for (const core of Object.keys(after)) ticks += after[core] - (before[core] ?? 0);
  return ticks / Number(readClkTck()) / seconds;
}
const readClkTck = () => tryRun("getconf", ["CLK_TCK"]) ?? "100";

/**
 * Others share this machine: before a trial, wait (boundedly) until it is nearly idle, so that a
 * trial does not start in the middle of someone's test run. Returns what was seen.
 */
async function waitForQuiet(ctx) {
  if (ctx.quietMaxWaitMs <= 0) return null;
  const budget = Math.min(ctx.quietMaxWaitMs, ctx.quietBudgetMs);
  const deadline = Date.now() + budget;
  const t0 = Date.now();
  let busy = await machineBusyCores(500);
  while (busy > ctx.quietBelowCores && Date.now() < deadline) busy = await machineBusyCores(1_000);
  const waitedMs = Date.now() - t0;
  ctx.quietBudgetMs = Math.max(0, ctx.quietBudgetMs - waitedMs);
  return { waitedMs, busyCores: busy };
}

/** Share of a trial's measured windows during which something else ran on the server or client core. */
function foreignShare(trial) {
  const windows = [...(trial.steps ?? []).map((s) => s.cpu), trial.idle?.cpu, trial.storm?.cpu].filter(Boolean);
  let worst = 0;
  for (const w of windows) {
    worst = Math.max(worst, (w.foreignUs ?? 0) / w.wallUs, (w.foreignClientUs ?? 0) / w.wallUs);
  }
  return worst;
}

const fmt = (x) => (x === null || x === undefined ? "-" : x >= 100 ? x.toFixed(0) : x.toFixed(1));

// ----- the machine ---------------------------------------------------------------------------------

function tryRun(command, args, options = {}) {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], ...options }).trim();
  } catch {
    return null;
  }
}

function packageVersion(name, from = REPO) {
  try {
    return JSON.parse(readFileSync(join(from, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return null;
  }
}

function machineInfo(ctx) {
  const workerd = workerdBinary();
  let dirty = [];
  try {
    dirty = execFileSync("git", ["status", "--porcelain", "--", "src", "wrangler.toml"], {
      cwd: REPO,
      encoding: "utf8",
    })
      .split("\n")
      .filter(Boolean)
      .map((line) => line.slice(3));
  } catch {
    // not a git checkout
  }
  return {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? "?",
    // All CPUs of the machine (availableParallelism() would see the orchestrator's own pinning).
    cpuCount: cpus().length,
    memGiB: totalmem() / 2 ** 30,
    kernel: tryRun("uname", ["-sr"]),
    node: process.version,
    clkTck: ctx.clkTck,
    nofile: ctx.nofile || tryRun("sh", ["-c", "ulimit -n"]),
    serverCores: ctx.serverCores,
    clientCores: ctx.clientCores,
    versions: {
      wrangler: packageVersion("wrangler"),
      workerd: `${tryRun(workerd.path, ["--version"]) ?? "?"} (npm workerd ${workerd.version})`,
      partyserver: packageVersion("partyserver"),
      "socket.io": packageVersion("socket.io"),
      "engine.io": packageVersion("engine.io"),
      ws: packageVersion("ws"),
      jose: packageVersion("jose"),
      zod: packageVersion("zod"),
      "hdr-histogram-js": packageVersion("hdr-histogram-js"),
    },
    hub: {
      commit: tryRun("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO }),
      subject: tryRun("git", ["log", "-1", "--format=%s"], { cwd: REPO }),
      uncommitted: dirty,
    },
  };
}

// ----- raw results -----------------------------------------------------------------------------------

/**
 * Raw results as NDJSON: a header line (machine, settings, workloads), then one line per trial and
 * per discarded attempt. (Not `.json`, so that the linter's formatter leaves the data alone.)
 */
function writeResults(file, data) {
  const { trials, discarded, ...header } = data;
  const lines = [
    JSON.stringify({ kind: "header", ...header }),
    ...trials.map((trial) => JSON.stringify({ kind: "trial", ...trial })),
    ...discarded.map((trial) => JSON.stringify({ kind: "discarded", ...trial })),
  ];
  writeFileSync(file, `${lines.join("\n")}\n`);
}

/** Reads results.ndjson (or a whole-document results.json of an older run). */
function readResults(file) {
  const text = readFileSync(file, "utf8");
  if (file.endsWith(".json")) return JSON.parse(text);
  const data = { trials: [], discarded: [] };
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const { kind, ...entry } = JSON.parse(line);
    if (kind === "header") Object.assign(data, entry);
    else if (kind === "trial") data.trials.push(entry);
    else if (kind === "discarded") data.discarded.push(entry);
  }
  return data;
}

// ----- main ----------------------------------------------------------------------------------------

async function main() {
  if (opts["report-only"]) {
    const data = readResults(opts["report-only"]);
    if (opts.note) data.note = opts.note;
    const outDir = opts.out ?? join(REPO, "bench");
    mkdirSync(outDir, { recursive: true });
    renderReport(data, outDir);
    log(`report written to ${outDir}`);
    return 0;
  }
  const smoke = opts.smoke;
  const outDir = opts.out ?? (smoke ? mkdtempSync(join(tmpdir(), "roomcast-bench-smoke-")) : join(REPO, "bench"));
  mkdirSync(outDir, { recursive: true });
  const workDir = mkdtempSync(join(tmpdir(), "roomcast-bench-work-"));
  const twoCores = availableParallelism() >= 2;
  const ctx = {
    smoke,
    serverCores: twoCores ? "0" : null,
    clientCores: twoCores ? "1" : null,
    clkTck: Number(tryRun("getconf", ["CLK_TCK"])) || 100,
    heartbeatMs: smoke ? 500 : 30_000,
    connectConcurrency: 200,
    settleMs: smoke ? 200 : 1_500,
    drainMs: smoke ? 2_000 : 3_000,
    client: null,
    publisher: null,
    connect: null,
    // Where the hub's local Durable Object storage lives (SQLite files, fsynced on every commit).
    // tmpfs: the disk is shared with other jobs on this machine, whose writes stall the local
    // SQLite's fsync (and with it every frame behind the output gate); production storage is not
    // a local fsync either.
    persistRoot: opts["persist-dir"] ?? (existsSync("/dev/shm") ? "/dev/shm" : tmpdir()),
    // Shared machine: wait up to this long for it to be nearly idle before a trial...
    quietMaxWaitMs: smoke ? 0 : 20_000,
    quietBelowCores: 0.3,
    quietBudgetMs: 6 * 60_000, // in all
    // ...and repeat a trial once when something else took more than this share of a bench core.
    retryForeignShare: smoke ? Number.POSITIVE_INFINITY : 0.2,
    retryUntilMs: 30 * 60_000,
    maxRetries: 12,
    nice: Number(opts.nice ?? (smoke || process.getuid?.() !== 0 ? 0 : -10)),
    // --rt yes|no: real-time priority for the bench's processes (default: yes for a full run as root).
    realtime:
      (opts.rt ?? (smoke || process.getuid?.() !== 0 ? "no" : "yes")) === "yes" &&
      tryRun("chrt", ["-r", "1", "true"]) !== null,
  };
  setNiceness(ctx.nice);
  setRealtime(ctx.realtime);
  if (ctx.realtime) {
    // At real-time priority other work only fills the bench's idle time: the busy-time measure no
    // longer tells interference, so no waits and no repeats (the report still shows other load).
    ctx.quietMaxWaitMs = 0;
    ctx.retryForeignShare = Number.POSITIVE_INFINITY;
  }
  if (ctx.clientCores !== null) tryRun("taskset", ["-cp", ctx.clientCores, String(process.pid)]);
  const reps = Number(opts.reps ?? (smoke ? 1 : 3));
  const only = opts.only ? new Set(opts.only.split(",")) : null;
  const workloads = workloadTable(smoke ? "smoke" : "full").filter((w) => !only || only.has(w.id));
  const targets = opts.targets ? opts.targets.split(",") : Object.keys(TARGETS);
  for (const name of targets) if (!TARGETS[name]) throw new Error(`unknown target ${name}`);
  // wrangler dev's proxy and runtime hold several descriptors per socket: with 20,000 the runtime
  // crashed at 5,000 sockets through the wrangler port (accept(): Too many open files). Raise the
  // limit of every process the bench starts when this user may (root), else check it.
  const needFds = Math.max(...workloads.flatMap((w) => w.groups.reduce((s, g) => s + g.count, 0))) * 6 + 1000;
  ctx.nofile = tryRun("prlimit", ["--nofile=65536:65536", "--", "true"]) !== null ? 65536 : 0;
  setNofile(ctx.nofile);
  const nofile = ctx.nofile || Number(tryRun("sh", ["-c", "ulimit -n"]));
  ctx.fdLimit = Number.isFinite(nofile) ? nofile : 1_000_000;
  if (Number.isFinite(nofile) && nofile < needFds) {
    log(`warning: ulimit -n is ${nofile} and cannot be raised here; the biggest workloads may want about ${needFds}`);
  }

  const info = machineInfo(ctx);
  log(`${smoke ? "smoke" : "full"} run: ${workloads.map((w) => w.id).join(",")} x ${targets.join(",")} x ${reps}`);
  log(`servers on cores ${ctx.serverCores ?? "(any)"}, load client + publisher on ${ctx.clientCores ?? "(any)"}`);
  ctx.hubDir = snapshotHub(workDir);
  log("bundling the Workers of the bare-workerd targets (wrangler deploy --dry-run)");
  ctx.bundles = await bundleBareWorkers(targets, workDir, ctx.hubDir);
  const data = {
    smoke,
    // Shown under the title of RESULTS.md, e.g. what the run's machine was like.
    note: opts.note,
    info,
    settings: {
      reps,
      heartbeatMs: ctx.heartbeatMs,
      connectConcurrency: ctx.connectConcurrency,
      drainMs: ctx.drainMs,
      nice: ctx.nice,
      realtime: ctx.realtime,
      persistRoot: ctx.persistRoot,
      quietMaxWaitMs: ctx.quietMaxWaitMs,
      quietBelowCores: ctx.quietBelowCores,
      retryForeignShare: ctx.retryForeignShare,
      targets: Object.fromEntries(targets.map((t) => [t, TARGETS[t].label])),
    },
    workloads: workloads.map(({ groups, ...rest }) => ({
      ...rest,
      subscribers: groups.reduce((s, g) => s + g.count, 0),
    })),
    trials: [],
    discarded: [],
  };
  ctx.client = await startWorker(ctx.clientCores, join(REPO, "bench/load-client.mjs"), "load client");
  ctx.publisher = await startWorker(ctx.clientCores, join(REPO, "bench/publisher.mjs"), "publisher");
  const resultsFile = join(outDir, "results.ndjson");
  try {
    for (const workload of workloads) {
      for (let rep = 0; rep < reps; rep++) {
        // A B C, then C B A: no target always goes first or last.
        const order = rep % 2 === 0 ? targets : [...targets].reverse();
        for (const name of order.filter((t) => runsIn(t, workload.id))) {
          const sockets = workload.groups.reduce((sum, g) => sum + g.count, 0);
          // Measured: wrangler dev's proxy workerd holds about 4 descriptors per socket (user workerd 2).
          if (name === "hub-wrangler" && sockets * 4 + 1_000 > ctx.fdLimit) {
            const reason = `not run: the proxy workerd would need about ${sockets * 4 + 1_000} file descriptors (4 per socket) and the limit here is ${ctx.fdLimit} (an attempt crashed the runtime with accept(): Too many open files)`;
            log(`${workload.id} rep ${rep + 1}/${reps} ${name}: ${reason}`);
            data.trials.push({ workload: workload.id, target: name, rep, ok: false, skipped: reason, problems: [] });
            continue;
          }
          let trial = null;
          for (let attempt = 0; ; attempt++) {
            const quiet = await waitForQuiet(ctx);
            log(
              `${workload.id} rep ${rep + 1}/${reps} ${name}` +
                (quiet ? ` (machine busy ${quiet.busyCores.toFixed(2)} cores after ${quiet.waitedMs} ms)` : "") +
                (attempt > 0 ? ` retry ${attempt}` : ""),
            );
            const current = await runTrial(ctx, workload, name, rep);
            current.quiet = quiet;
            current.attempt = attempt;
            current.foreignShare = foreignShare(current);
            // Of two attempts, the one less disturbed by other load counts; the other is kept aside.
            if (trial === null || (current.ok && current.foreignShare < trial.foreignShare) || !trial.ok) {
              if (trial) data.discarded.push({ ...trial, discardedBecause: "more foreign load than its repeat" });
              trial = current;
            } else {
              data.discarded.push({ ...current, discardedBecause: "more foreign load than the first attempt" });
            }
            const noisy = trial.foreignShare > ctx.retryForeignShare;
            const budgetLeft = Date.now() - started < ctx.retryUntilMs && data.discarded.length < ctx.maxRetries;
            if (!noisy || attempt >= 1 || !budgetLeft) break;
            log(`  other load took ${(100 * trial.foreignShare).toFixed(0)}% of a bench core: trial repeated`);
          }
          data.trials.push(trial);
          writeResults(resultsFile, data);
        }
      }
    }
  } finally {
    await ctx.client.stop();
    await ctx.publisher.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
  data.durationS = (Date.now() - started) / 1000;
  writeResults(resultsFile, data);
  renderReport(data, outDir);
  log(`done in ${elapsed()}: ${join(outDir, "RESULTS.md")}`);

  const failures = [];
  for (const trial of data.trials) {
    const name = `${trial.workload} ${trial.target} rep ${trial.rep + 1}`;
    if (trial.skipped) continue;
    if (!trial.ok) failures.push(`${name}: ${trial.error?.split("\n")[0]}`);
    else if (trial.connect?.failed) failures.push(`${name}: ${trial.connect.failed} sockets failed to join`);
    if (smoke) {
      for (const step of trial.steps ?? []) {
        if (step.delivered !== step.expected || step.expected === 0) {
          failures.push(`${name}: delivered ${step.delivered} of ${step.expected} at ${step.rate}/s`);
        }
      }
      if (trial.idle && trial.target !== "socketio" && trial.idle.counters.heartbeatAcks === 0) {
        failures.push(`${name}: no heartbeat-ack in the idle window`);
      }
    }
  }
  if (failures.length > 0) {
    log(`${failures.length} problem(s):\n  ${failures.join("\n  ")}`);
    return smoke ? 1 : 2;
  }
  return 0;
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    log(`${signal}: stopping every process the bench started`);
    killAllNow();
    process.exit(130);
  });
}
process.on("exit", () => killAllNow());

main().then(
  (code) => {
    killAllNow();
    process.exit(code);
  },
  (error) => {
    log(`failed: ${error?.stack ?? error}`);
    killAllNow();
    process.exit(1);
  },
);
