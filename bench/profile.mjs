#!/usr/bin/env node
/**
 * Where the hub's JavaScript time goes: a V8 CPU profile of the user workerd (through wrangler
 * dev's inspector) while the bench's load runs, summed by function. Native time inside a runtime
 * call (ws.send, sql.exec) is charged to that call; kernel time is not in a JS profile at all (see
 * the kernel shares in RESULTS.md).
 *
 *   node bench/profile.mjs [--subs 1000] [--rooms 1] [--rate 10] [--seconds 8] [--out bench/PROFILE.md]
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import WebSocket from "ws";
import { REPO } from "./lib/targets.mjs";
import { loadOptions, runMain, underLoad } from "./lib/under-load.mjs";

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

/** Self time per function, in ms, from a V8 CPU profile. */
function summarize(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    self.set(id, (self.get(id) ?? 0) + dt);
  });
  const byFunction = new Map();
  for (const [id, msTime] of self) {
    const frame = byId.get(id)?.callFrame ?? {};
    const file = (frame.url ?? "").split("/").pop();
    const key = `${frame.functionName || "(anonymous)"}${file ? ` ${file}:${frame.lineNumber + 1}` : ""}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + msTime);
  }
  return { total, rows: [...byFunction].sort((a, b) => b[1] - a[1]) };
}

async function main() {
  const { subs, rooms, rate, seconds } = opts;
  await underLoad(opts, async ({ target, opened, publish }) => {
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
    const { total, rows } = summarize(stopped.result.profile);
    const lines = [
      `# V8 profile of the hub's user workerd`,
      "",
      `\`node bench/profile.mjs --subs ${subs} --rooms ${rooms} --rate ${rate} --seconds ${seconds}\` on ${new Date().toISOString().slice(0, 16)} UTC: ${opened} sockets in ${rooms} room(s), ${pub.ok} publishes at ${rate}/s on the workerd port. ` +
        `Sampled ${total.toFixed(0)} ms of the isolate's time (idle included); self time by function, the top 30. ` +
        "Names come from wrangler's bundle; `(program)` is time in the runtime outside JavaScript, `(idle)` is waiting.",
      "",
      "| function | self ms | share |",
      "| --- | --- | --- |",
      ...rows
        .slice(0, 30)
        .map(
          ([name, t]) => `| \`${name.replace(/\|/g, "\\|")}\` | ${t.toFixed(1)} | ${((100 * t) / total).toFixed(1)}% |`,
        ),
      "",
    ];
    const out = opts.out ?? join(REPO, "bench/PROFILE.md");
    writeFileSync(out, lines.join("\n"));
    console.error(lines.slice(0, 20).join("\n"));
    console.error(`written to ${out}`);
  });
}

runMain(main);
