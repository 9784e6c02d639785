/**
 * Every process the bench starts goes through here: each in its own process group, pinned to
 * cores with taskset, and remembered, so that `stopAll` (run on exit, SIGINT, SIGTERM and on any
 * failure) can end exactly those groups and nothing else.
 */
import { execFileSync, spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { killGroup, stopGroup as stopProcessGroup } from "../../scripts/lib/wrangler-dev.mjs";

const started = new Set();

let niceness = 0;
let realtime = false;
let nofile = 0;

/** RLIMIT_NOFILE (soft and hard) of every process started from now on, through prlimit; 0 leaves it. */
export function setNofile(value) {
  nofile = value;
}

/** Niceness of every process started from now on (negative needs root); 0 leaves it alone. */
export function setNiceness(value) {
  niceness = value;
}

/**
 * Round-robin real-time priority 1 (chrt -r 1) for every process started from now on: on a
 * machine shared with other work, the bench's servers and client then run before anything of
 * normal priority on their cores. The kernel's RT throttling still leaves 5% of each core to others.
 */
export function setRealtime(value) {
  realtime = value;
}

/**
 * Spawns `argv` pinned to `cores` (a taskset list such as "0" or "1"; null = unpinned), at the
 * bench's priority (real-time or niceness, see above) unless `priority: "normal"`: then it runs at
 * the default priority, and `raisePriority` can lift one of its processes later.
 */
export function spawnPinned(cores, argv, options = {}, { priority = "bench" } = {}) {
  let full = cores === null ? argv : ["taskset", "-c", cores, ...argv];
  if (priority === "bench" && realtime) full = ["chrt", "-r", "1", ...full];
  else if (priority === "bench" && niceness !== 0) full = ["nice", "-n", String(niceness), ...full];
  if (nofile > 0) full = ["prlimit", `--nofile=${nofile}:${nofile}`, "--", ...full];
  const [command, ...args] = full;
  const child = spawn(command, args, { ...options, detached: true });
  started.add(child);
  child.once("exit", () => started.delete(child));
  return child;
}

/**
 * Gives a running process (every thread of it, and the threads it starts later) the bench's
 * priority: real-time round-robin 1, or the bench's niceness. For `wrangler dev`, whose node
 * process, esbuild and proxy stay at normal priority while its user workerd is measured.
 */
export function raisePriority(pid) {
  const run = (command, args) => {
    try {
      execFileSync(command, args, { stdio: "ignore" });
    } catch {
      // gone, or not permitted: it stays at normal priority
    }
  };
  if (realtime) run("chrt", ["-a", "-r", "-p", "1", String(pid)]);
  else if (niceness !== 0) {
    let tids = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      return;
    }
    for (const tid of tids) run("renice", ["-n", String(niceness), "-p", tid]);
  }
}

/** Ends a child's process group: SIGTERM, then SIGKILL after `graceMs`. */
export function stopGroup(child, graceMs = 5_000) {
  return stopProcessGroup(child, { graceMs });
}

/** Synchronous last resort: SIGKILL to every group still known. */
export function killAllNow() {
  for (const child of started) if (child.pid !== undefined) killGroup(child.pid, "SIGKILL");
  started.clear();
}

/**
 * A child process that answers `{ id, type, ... }` requests over IPC with `{ id, ok, result|error }`
 * (load-client.mjs and publisher.mjs).
 */
export async function startWorker(cores, script, name) {
  const child = spawnPinned(cores, [process.execPath, script], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const waiting = new Map();
  let nextId = 1;
  let readyResolve;
  const ready = new Promise((done) => {
    readyResolve = done;
  });
  child.on("message", (msg) => {
    if (msg.ready) return readyResolve();
    const entry = waiting.get(msg.id);
    if (!entry) return;
    waiting.delete(msg.id);
    if (msg.ok) entry.resolve(msg.result);
    else entry.reject(new Error(`${name}: ${msg.error}`));
  });
  child.once("exit", (code, signal) => {
    for (const entry of waiting.values()) entry.reject(new Error(`${name} exited (${code ?? signal})`));
    waiting.clear();
  });
  await Promise.race([
    ready,
    new Promise((_, fail) => setTimeout(() => fail(new Error(`${name} did not start`)), 15_000)),
  ]);
  return {
    pid: child.pid,
    child,
    call(type, args = {}, timeoutMs = 600_000) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`${name}: ${type} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        child.send({ id, type, ...args });
      });
    },
    stop: () => stopGroup(child, 2_000),
  };
}
