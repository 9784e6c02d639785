#!/usr/bin/env node
/**
 * What each piece of a publish costs on bare workerd: the Worker of bench/workers/publish-path
 * runs one piece `n` times per request, and this reads workerd's CPU (utime + stime from /proc)
 * around each request. Each piece is measured `--reps` times (median and range); `noop`, the bare
 * loop, is subtracted from the others. Server on core 0, this process on core 1, both at
 * real-time priority when run as root (`--rt no` leaves it).
 *
 *   node bench/publish-path.mjs [--reps 3] [--cpu-ms 600] [--only noop,hub-worker,...] [--out bench/PUBLISH-PATH.md]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { bundleWorker, startBareWorkerd } from "./lib/bare-workerd.mjs";
import { setRealtime } from "./lib/children.mjs";
import { CLK_TCK, cpuTicks } from "./lib/proc.mjs";
import { spread } from "./lib/stats.mjs";
import { REPO } from "./lib/targets.mjs";
import { BENCH_BROADCAST_SECRET, BENCH_JWT_SECRET } from "./lib/tokens.mjs";
import { runMain, writeReport } from "./lib/under-load.mjs";

const { values: opts } = parseArgs({
  options: {
    reps: { type: "string", default: "3" },
    "cpu-ms": { type: "string", default: "600" },
    out: { type: "string" },
    rt: { type: "string" },
    only: { type: "string" },
  },
});

const OPS = [
  ["noop", "the loop alone (subtracted from the others)"],
  ["request", "building the publish's Request and reading its body (in both Workers' figures below)"],
  ["floor-worker", "the floor's Worker for one publish, without its RPC: JSON.parse, the frame, Response.json"],
  [
    "hub-worker",
    "the hub's Worker for one publish (its shortcut past the router), without the RPC (the room answers at once)",
  ],
  ["read-json-body", "the hub's readJsonBody (stream reader, size cap, TextDecoder, JSON.parse), with the Request"],
  [
    "hono-internal-404",
    "the hub's Hono app to the internal API's 404: config check, two Hono apps, rate-limit lookup, bearer check",
  ],
  ["hono-health", "the hub's Hono app for GET /health: config check, routing, c.json"],
  ["raw-health", "Response.json({ ok: true }) alone"],
  ["bearer", "the bearer check as it is: a constant-time comparison over the configured secret, synchronous"],
  ["bearer-once", "the hashed check the hub used before: one SHA-256 (crypto.subtle) and timingSafeEqual"],
  ["verify-floor", "the floor's token check of an upgrade (jose, the key encoded per request)"],
  ["verify-hub", "the hub's verifyToken of the same token (jose, claims, exp)"],
  ["verify-cached-key", "jose's jwtVerify of the same token with the HMAC key imported once"],
  ["limiter", "one limit() of the per-user connection budget (bench/workers/rate-limiter.mjs)"],
  ["encode-connect", "encodeConnect of F's connect request"],
  [
    "hub-room-accept",
    "the hub's room accepting one upgrade as its Worker hands it on (F: 2,000 kitchen displays per room), over the stub",
  ],
  ["floor-room-accept", "the floor's room accepting one upgrade the same way"],
  [
    "hub-personal-accept",
    "the hub's personal room accepting its user's first socket (F2: a new room each, its database, its presence report)",
  ],
  ["floor-personal-accept", "the floor's room the same way: a new object each"],
  ["probe-accept-none", "the floor's accept again, in a probe object (the next two add one piece of the hub's each)"],
  ["probe-accept-tags", "the floor's accept with the hub's one tag per socket (its user)"],
  ["probe-accept-attachment", "the floor's accept with an attachment the size of the hub's"],
  ["floor-upgrade-worker", "the floor's Worker for one upgrade, without the object (the room answers at once)"],
  [
    "hub-upgrade-worker",
    "the hub's Worker for one upgrade (F's: a kitchen display into an order room), without the object",
  ],
  ["json-parse", "JSON.parse of the body"],
  ["validate", "validateBroadcast: JSON.parse, zod (body and payload schemas), room names"],
  [
    "idempotency-hash",
    "SHA-256 of [event, data] for a publish with an id, as the hub hashes it (synchronous, src/sha256.ts)",
  ],
  ["idempotency-hash-subtle", "the same with crypto.subtle.digest (asynchronous), as the hub did before"],
  ["response", "Response.json of the answer"],
  ["rpc-floor", "one RPC to an object that does nothing, with the floor's argument (the frame string)"],
  ["rpc-hub", "one RPC to an object that does nothing, with the hub's arguments (room, event, data, id, hash)"],
  [
    "rpc-timer",
    "one RPC to an object that sets a zero-delay timer, as the room does after each fan-out (timeFanOut), answered when it fired",
  ],
  ["rpc-insert", "one RPC to an object that writes one row: the INSERT, its commit, the output gate"],
  [
    "rpc-room-broadcast",
    "the hub's RoomObject.broadcast over RPC with its arguments, no sockets, a log under 50 events: the whole object side of a D publish",
  ],
  ["rpc-insert-200", "rpc-insert over 200 objects in turn, as D's 200 rooms: 200 SQLite databases"],
  ["rpc-room-broadcast-200", "rpc-room-broadcast over 200 room objects in turn, as in D"],
  ["wake-hub-room", "one RPC to a new hub room object: its wake-up and migrations (every F2 connection's room is new)"],
  ["wake-floor-room", "one RPC to a new floor object"],
  ["presence-report", "one RPC to the presence object with a new user's snapshot: what each F2 join reports"],
  [
    "room-broadcast",
    "RoomObject.broadcast in-process, no sockets, a log of under 50 events (as in D): the history row, the frame, bookkeeping",
  ],
  ["history-append", "RoomHistory.append alone, a log of under 50 events: the frame with seq and epoch, the INSERT"],
  [
    "history-full",
    "RoomHistory.append in a log at its cap (the ring's 1,000 slots): the same, overwriting the oldest slot",
  ],
  ["sqlite-insert", "one INSERT of a row of the same size into a bare table"],
  ["floor-room", "the floor's broadcast in-process, no sockets: the frame and the socket list"],
];

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

function cpuUs(pid) {
  const t = cpuTicks(pid);
  return ((t.user + t.system) * 1e6) / CLK_TCK;
}

async function main() {
  const reps = Number(opts.reps);
  const targetUs = Number(opts["cpu-ms"]) * 1000;
  try {
    execFileSync("taskset", ["-cp", "1", String(process.pid)], { stdio: "ignore" });
  } catch {
    // one core, or no taskset: unpinned
  }
  setRealtime((opts.rt ?? (process.getuid?.() === 0 ? "yes" : "no")) === "yes");
  const workDir = mkdtempSync(join(tmpdir(), "roomcast-publish-path-"));
  const bundle = await bundleWorker(join(REPO, "bench/workers/publish-path/wrangler.toml"), workDir);
  const server = await startBareWorkerd({
    bundle,
    secrets: { JWT_SECRET: BENCH_JWT_SECRET, BROADCAST_SECRET: BENCH_BROADCAST_SECRET },
    serverCores: "0",
    persistRoot: "/dev/shm",
  });
  const pid = server.child.pid;
  const run = async (op, n) => {
    const before = cpuUs(pid);
    const res = await fetch(`http://127.0.0.1:${server.port}/op/${op}?n=${n}`);
    if (!res.ok) throw new Error(`${op}: ${res.status} ${await res.text()}\n${server.output().slice(-1_500)}`);
    await res.text();
    await sleep(20); // let the last ticks land
    return cpuUs(pid) - before;
  };
  const results = [];
  try {
    const only = opts.only ? new Set(["noop", ...opts.only.split(",")]) : null;
    for (const [op, what] of OPS.filter(([op]) => !only || only.has(op))) {
      // Calibrate: enough iterations for about `cpu-ms` of CPU per measurement.
      let n = 200;
      let used = await run(op, n);
      while (used < targetUs / 4 && n < 2_000_000) {
        n *= 4;
        used = await run(op, n);
      }
      n = Math.max(n, Math.round((n * targetUs) / Math.max(used, 1)));
      const perOp = [];
      for (let i = 0; i < reps; i++) perOp.push((await run(op, n)) / n);
      results.push({ op, what, n, perOp: spread(perOp) });
      console.error(`${op}: ${spread(perOp).median.toFixed(2)} us (n ${n})`);
    }
  } finally {
    await server.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
  const noop = results.find((r) => r.op === "noop").perOp.median;
  const fmt = (x) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(1));
  const lines = [
    "# The pieces of a publish on bare workerd",
    "",
    `\`node bench/publish-path.mjs --reps ${reps} --cpu-ms ${opts["cpu-ms"]}\` on ${new Date().toISOString().slice(0, 16)} UTC. ` +
      "workerd CPU (user + system, /proc) per iteration of each piece, run in a loop inside the Worker of `bench/workers/publish-path`; the bare loop (`noop`) subtracted. Median of the repetitions [min-max].",
    "",
    "| piece | us | what |",
    "| --- | --- | --- |",
    ...results.map(({ op, what, perOp }) => {
      const sub = op === "noop" ? 0 : noop;
      const range = perOp.n > 1 ? ` [${fmt(perOp.min - sub)}-${fmt(perOp.max - sub)}]` : "";
      return `| \`${op}\` | ${fmt(perOp.median - sub)}${range} | ${what} |`;
    }),
    "",
  ];
  writeReport(lines, { out: opts.out, name: "PUBLISH-PATH.md" });
}

runMain(main);
