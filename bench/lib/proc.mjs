/**
 * Reads what the kernel knows about the server processes: the process tree under a pid, CPU time
 * (utime + stime from /proc/<pid>/stat, in clock ticks), resident memory (VmRSS), and the TCP
 * ports a process listens on. Linux only.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** Clock ticks per second of utime/stime (usually 100). */
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces and parentheses). */
function statFields(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}

/** Parent pid, or -1 when the process is gone. */
export function parentOf(pid) {
  try {
    return Number(statFields(pid)[1]);
  } catch {
    return -1;
  }
}

/**
 * utime and stime of a process in clock ticks (threads included, dead threads too); null when gone.
 * stime is the kernel's share: socket writes and reads, mostly.
 */
export function cpuTicks(pid) {
  try {
    const fields = statFields(pid);
    // Fields 14 (utime) and 15 (stime) of stat are at index 11 and 12 after the name.
    return { user: Number(fields[11]), system: Number(fields[12]) };
  } catch {
    return null;
  }
}

/** VmRSS in KiB; null when gone. */
export function rssKiB(pid) {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** The command line as an array; [] when gone. */
export function argvOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

/** The pid and every descendant of it, found by walking /proc. */
export function processTree(root) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const parent = parentOf(pid);
    if (parent < 0) continue;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(pid);
  }
  const tree = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift();
    if (parentOf(pid) < 0 && pid !== root) continue;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** TCP ports (IPv4 and IPv6) a process listens on, found through its socket inodes. */
export function listeningPorts(pid) {
  const inodes = new Set();
  let fds = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  for (const fd of fds) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const match = /^socket:\[(\d+)\]$/.exec(link);
      if (match) inodes.add(match[1]);
    } catch {
      // fd closed meanwhile
    }
  }
  const ports = new Set();
  for (const table of [`/proc/${pid}/net/tcp`, `/proc/${pid}/net/tcp6`]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== "0A") continue; // 0A = LISTEN
      if (inodes.has(cols[9])) ports.add(Number.parseInt(cols[1].split(":")[1], 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/**
 * A snapshot of CPU ticks per process, so that a window's CPU is `after - before` per pid.
 * Processes that appeared inside the window count from zero; ones that vanished count what they
 * had at the first snapshot only (their last ticks are lost, which /proc cannot avoid).
 */
export function cpuSnapshot(pids) {
  const snap = new Map();
  for (const pid of pids) snap.set(pid, cpuTicks(pid) ?? { user: 0, system: 0 });
  return { at: process.hrtime.bigint(), ticks: snap };
}

/** CPU microseconds per pid between two snapshots: `us` (user + system) and `systemUs`. */
export function cpuDelta(before, after) {
  const usPerTick = 1e6 / CLK_TCK;
  const us = new Map();
  const systemUs = new Map();
  for (const [pid, ticks] of after.ticks) {
    const start = before.ticks.get(pid) ?? { user: 0, system: 0 };
    const user = Math.max(0, ticks.user - start.user);
    const system = Math.max(0, ticks.system - start.system);
    us.set(pid, (user + system) * usPerTick);
    systemUs.set(pid, system * usPerTick);
  }
  return { us, systemUs, wallUs: Number(after.at - before.at) / 1000 };
}
