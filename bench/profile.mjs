#!/usr/bin/env node
/**
 * Where a target's JavaScript time goes: a V8 CPU profile of its workerd through the inspector
 * (bare workerd's `--inspector-addr`, or wrangler dev's) while the bench's load runs. Three
 * tables: self time by function, self time by source module (from the `// path` comments wrangler's
 * bundle has before every module, so hono, zod, jose and each file of src/ show apart), and
 * inclusive time by function (each sample counted once for every function on its stack). Native
 * time inside a runtime call (ws.send, sql.exec, crypto.subtle) is charged to that call or to
 * `(program)`; kernel time is not in a JS profile at all (see perf.mjs).
 *
 *   node bench/profile.mjs [--target hub-bare] [--subs 1000] [--rooms 1] [--rate 10] [--seconds 8] [--out bench/PROFILE.md]
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import WebSocket from "ws";
import { loadOptions, runMain, underLoad, writeReport } from "./lib/under-load.mjs";

const opts = loadOptions(8);

function cdp(url) {
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1 << 30 });
  let next = 1;
  const waiting = new Map();
  ws.on("message", (data) => {
    const msg = JSON.parse(data.toString());
    if (msg.id && waiting.has(msg.id)) {
      waiting.get(msg.id)(msg);
      waiting.delete(msg.id);
    }
  });
  const opened = new Promise((done, fail) => {
    ws.once("open", done);
    ws.once("error", fail);
  });
  return {
    opened,
    send(method, params = {}) {
      const id = next++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise((done) => waiting.set(id, done));
    },
    close: () => ws.close(),
  };
}

/** Line (1-based) -> source module of a bundle, from the `// path` comment before each module. */
function moduleMap(bundleFile) {
  if (!bundleFile || !existsSync(bundleFile)) return null;
  const starts = [];
  readFileSync(bundleFile, "utf8")
    .split("\n")
    .forEach((line, i) => {
      const match = /^\/\/ ((?:node_modules|src|bench)\/\S+)$/.exec(line);
      if (match) starts.push([i + 1, match[1]]);
    });
  return (line) => {
    let found = "(bundle glue)";
    for (const [start, name] of starts) {
      if (start > line) break;
      found = name;
    }
    // One row per package for dependencies, one per file for our own code.
    const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(found);
    return pkg ? `${pkg[1]} (package)` : found;
  };
}

/** Self time per function and per module, and inclusive time per function, in ms. */
function summarize(profile, moduleOf) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const keyOf = (frame) => {
    const file = (frame.url ?? "").split("/").pop();
    return `${frame.functionName || "(anonymous)"}${file ? ` ${file}:${frame.lineNumber + 1}` : ""}`;
  };
  const moduleOfFrame = (frame) => {
    if (!frame.url) return frame.functionName || "(runtime)";
    return moduleOf ? moduleOf(frame.lineNumber + 1) : (frame.url.split("/").pop() ?? "?");
  };
  const self = new Map();
  const modules = new Map();
  const inclusive = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const frame = byId.get(id)?.callFrame ?? {};
    self.set(keyOf(frame), (self.get(keyOf(frame)) ?? 0) + dt);
    modules.set(moduleOfFrame(frame), (modules.get(moduleOfFrame(frame)) ?? 0) + dt);
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const key = keyOf(byId.get(at)?.callFrame ?? {});
      if (seen.has(key) || key === "(root)") continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
    }
  });
  const sorted = (map) => [...map].sort((a, b) => b[1] - a[1]);
  return { total, self: sorted(self), modules: sorted(modules), inclusive: sorted(inclusive) };
}

const cell = (name) => `\`${name.replace(/\|/g, "\\|")}\``;
const rowsOf = (rows, total, n) =>
  rows.slice(0, n).map(([name, t]) => `| ${cell(name)} | ${t.toFixed(1)} | ${((100 * t) / total).toFixed(1)}% |`);

async function main() {
  const { target: name, subs, rooms, rate, seconds } = opts;
  await underLoad(opts, async ({ target, opened, publish, bundle }) => {
    const list = await (await fetch(`http://127.0.0.1:${target.inspectorPort}/json`)).json();
    const entry = list.find((t) => t.webSocketDebuggerUrl) ?? list[0];
    const session = cdp(entry.webSocketDebuggerUrl);
    await session.opened;
    await session.send("Profiler.enable");
    await session.send("Profiler.setSamplingInterval", { interval: 100 });
    await session.send("Profiler.start");
    const pub = await publish(seconds * 1000);
    await new Promise((done) => setTimeout(done, 1_000));
    const stopped = await session.send("Profiler.stop");
    session.close();
    const moduleOf = moduleMap(bundle ? join(bundle.dir, bundle.modules[0]) : null);
    const { total, self, modules, inclusive } = summarize(stopped.result.profile, moduleOf);
    const header = (what) => [`| ${what} | ms | share |`, "| --- | --- | --- |"];
    const lines = [
      `# V8 profile: ${name}`,
      "",
      `\`node bench/profile.mjs --target ${name} --subs ${subs} --rooms ${rooms} --rate ${rate} --seconds ${seconds}\` on ${new Date().toISOString().slice(0, 16)} UTC: ${opened} sockets in ${rooms} room(s), ${pub.ok} publishes at ${rate}/s. ` +
        `Sampled ${total.toFixed(0)} ms of the isolate's time (idle included), ${((1000 * total) / Math.max(1, pub.ok)).toFixed(0)} us per publish. ` +
        "`(program)` is time in the runtime outside JavaScript, `(idle)` is waiting, `(garbage collector)` is V8's.",
      "",
      "## Self time by function (top 30)",
      "",
      ...header("function"),
      ...rowsOf(self, total, 30),
      "",
      "## Self time by source module",
      "",
      ...header("module"),
      ...rowsOf(modules, total, 40),
      "",
      "## Inclusive time by function (top 40; a sample counts once for every function on its stack)",
      "",
      ...header("function"),
      ...rowsOf(inclusive, total, 40),
      "",
    ];
    writeReport(lines, { out: opts.out, name: "PROFILE.md", echoLines: 24 });
  });
}

runMain(main);
