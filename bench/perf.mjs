#!/usr/bin/env node
/**
 * Where a target's workerd spends its CPU, JavaScript or not: a native profile with Linux `perf`
 * (call graphs, user and kernel) while the bench's load runs, each sample put in one category by
 * the frames on its stack, with the CPU time per publish of each. The V8 profile (profile.mjs)
 * sees only JavaScript and charges a runtime call to its caller; this one shows what the runtime
 * does around it. The target is the hub on bare workerd unless `--target` says otherwise (under
 * wrangler dev it samples the user workerd).
 *
 *   node bench/perf.mjs [--target hub-bare] [--subs 1000] [--rooms 1] [--rate 10] [--seconds 10] [--out bench/PERF.md]
 *
 * Needs `perf` and perf_event_paranoid <= 2 (a user may profile its own processes).
 */
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { loadOptions, runMain, underLoad, writeReport } from "./lib/under-load.mjs";

const opts = loadOptions(10);

/**
 * Categories, first match wins, by a pattern over the sample's whole stack. Order matters: a
 * frame write inside a JavaScript call counts as the write, a JavaScript call inside the RPC
 * machinery as the call.
 */
const CATEGORIES = [
  [
    "garbage collection (V8 and cppgc)",
    /Heap::Collect|MarkCompact|Scavenge|cppgc::internal::(Marker|Sweeper)|IncrementalMarking/,
  ],
  ["ws.send: the JavaScript call into the runtime", /api::WebSocket::send\b|api::WebSocket::send\(/],
  [
    "ws.send: the runtime's pump writing each frame",
    /LegacyWebSocketAdapter::(pump|ensurePumping)|WebSocketPipe|WebSocketImpl::send/,
  ],
  ["incoming WebSocket frames and auto-responses", /HibernationManager|WebSocketImpl::receive|readLoop/],
  ["SQLite (history, idempotency, commits)", /sqlite3|SqliteDatabase|ActorSqlite|SqlStorage/],
  [
    "crypto (SHA-256 of the bearer check and the idempotency key, HMAC of tokens)",
    /SHA256|sha256|HMAC|SubtleCrypto|EVP_/,
  ],
  ["JSON parse and stringify", /JsonParser|JsonStringifier|JsonStringify|JSON/],
  ["RPC from the Worker into the room object", /JsRpc|capnp::/],
  ["tracing / tail workers (wrangler dev tooling)", /TailStream|tracing::/],
  [
    "HTTP request handling (the publish's Worker fetch)",
    /WorkerEntrypoint::request|HttpServer|HttpInputStream|HttpOutputStream/,
  ],
  ["other JavaScript (the hub's own code)", /Builtins_|v8::internal::Execution|\[JIT\]/],
  ["kernel, other (loopback TCP, scheduling)", /\[kernel|do_syscall|entry_SYSCALL/],
];

/** Parses `perf script -F comm,tid,ip,sym,dso` into one array of frames per sample. */
function parseStacks(text) {
  const stacks = [];
  let current = null;
  for (const line of text.split("\n")) {
    if (line.trim() === "") {
      if (current?.length) stacks.push(current);
      current = null;
    } else if (/^\s/.test(line)) {
      const [, rest = "?"] = line.trim().split(/\s+(.*)/);
      current?.push(rest);
    } else {
      if (current?.length) stacks.push(current);
      current = [];
    }
  }
  if (current?.length) stacks.push(current);
  return stacks;
}

function classify(stacks) {
  const counts = new Map(CATEGORIES.map(([name]) => [name, 0]));
  counts.set("other runtime work (event loop, promises, I/O wake-ups)", 0);
  for (const stack of stacks) {
    const joined = stack.join("\n");
    const hit = CATEGORIES.find(([, pattern]) => pattern.test(joined));
    const name = hit ? hit[0] : "other runtime work (event loop, promises, I/O wake-ups)";
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]);
}

async function main() {
  const { target: name, subs, rooms, rate, seconds } = opts;
  await underLoad(opts, async ({ target, opened, publish, workDir }) => {
    const user = target.processes.find((p) => p.label === "user workerd" || p.label === "workerd");
    const data = join(workDir, "perf.data");
    const recorder = spawn(
      "perf",
      ["record", "-F", "1999", "-g", "-p", String(user.pid), "-o", data, "--", "sleep", String(seconds)],
      { stdio: "ignore" },
    );
    const recorded = new Promise((done) => recorder.once("exit", done));
    const pub = await publish((seconds + 1) * 1000);
    await recorded;
    const script = execFileSync("perf", ["script", "-i", data, "-F", "comm,tid,ip,sym,dso"], {
      maxBuffer: 1 << 30,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    const stacks = parseStacks(script);
    const rows = classify(stacks);
    // The publishes inside the recorded window (the publisher runs a second longer).
    const inWindow = rate * seconds;
    const usOf = (count) => (count * 1e6) / 1999;
    const lines = [
      `# Native profile: ${name}`,
      "",
      `\`node bench/perf.mjs --target ${name} --subs ${subs} --rooms ${rooms} --rate ${rate} --seconds ${seconds}\` on ${new Date().toISOString().slice(0, 16)} UTC: ` +
        `${opened} sockets in ${rooms} room(s), ${pub.ok} publishes at ${rate}/s; ` +
        `${stacks.length} samples at 1,999 Hz of the ${user.label} (user and kernel time, every thread), ${(usOf(stacks.length) / inWindow).toFixed(0)} us per publish over the ${inWindow} publishes of the window. ` +
        "Each sample is counted once, in the first category (in this order) with a frame on its stack.",
      "",
      "| where the CPU goes | samples | share | us per publish |",
      "| --- | --- | --- | --- |",
      ...rows.map(
        ([category, count]) =>
          `| ${category} | ${count} | ${((100 * count) / stacks.length).toFixed(1)}% | ${(usOf(count) / inWindow).toFixed(0)} |`,
      ),
      "",
    ];
    writeReport(lines, { out: opts.out, name: "PERF.md" });
  });
}

runMain(main);
