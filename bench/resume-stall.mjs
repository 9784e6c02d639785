// `node bench/resume-stall.mjs [--before <commit>] [--reps 3] [--out bench/RESUME-STALL.md]`
//
// Does a resume stall a room for others? One kitchen room on bare workerd (the production bundle)
// gets a full history of big orders (65 new-orders of about 60 KB: 3.8 MiB of frames, all of which
// the hub keeps). A watching tablet (another user) is connected. Then six tablets of one kitchen
// account resume with since=0 at once, and a new order is published every 50 ms from that moment;
// the bench measures how late each order reaches the watcher (publish sent to frame received),
// against the same orders without the resumes. With `--before <commit>`, that commit's hub runs in
// the same run, interleaved, so the two are measured side by side (the code before the history's
// bounds: the whole history replayed to each of the six).
//
// The server runs on core 0, this process (the sockets and the publisher) on core 1.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { bundleWorker, startBareWorkerd } from "./lib/bare-workerd.mjs";
import { killAllNow, setRealtime } from "./lib/children.mjs";
import { snapshotHub } from "./lib/targets.mjs";
import { BENCH_BROADCAST_SECRET, BENCH_JWT_SECRET, signToken } from "./lib/tokens.mjs";

const { values } = parseArgs({
  options: {
    before: { type: "string" },
    reps: { type: "string", default: "3" },
    out: { type: "string", default: "bench/RESUME-STALL.md" },
  },
});
const REPS = Number(values.reps);
/**
 * The histories the resumes ask for: a full one (all 65 events, 3.8 MiB, kept by every version),
 * and a long one (300 events, 18 MB: the older code kept 16 MiB of it and replayed 250 events to
 * each resume; the bounded code keeps 4 MiB and answers `recovered: false` at once).
 */
const SCENARIOS = [
  { name: "a full history: 65 events of 60 KB, resumed from seq 0", events: 65, back: null },
  { name: "a long history: 300 events of 60 KB, resumed 250 events back", events: 300, back: 250 },
];
const RESUMERS = 6;
const PROBES = 20;
const PROBE_EVERY_MS = 50;
const REPO = new URL("..", import.meta.url).pathname;

if (process.getuid?.() === 0) setRealtime(true);
try {
  execFileSync("taskset", ["-cp", "1", String(process.pid)], { stdio: "ignore" });
} catch {
  // One core, or no taskset: measured anyway, noted by nobody.
}

/** An order of about 60 KB that every version of the hub accepts (no prices: older ones refuse them). */
function bigOrder(orderId) {
  const items = Array.from({ length: 120 }, (_, i) => ({ name: `item ${i}`, quantity: 1, notes: "x".repeat(450) }));
  return { orderId, customerName: "Ana", items, createdAt: new Date().toISOString() };
}
const smallOrder = (orderId) => ({
  orderId,
  customerName: "Bo",
  items: [{ name: "Soup", quantity: 1 }],
  createdAt: new Date().toISOString(),
});

async function publish(port, room, data) {
  const res = await fetch(`http://127.0.0.1:${port}/internal/broadcast`, {
    method: "POST",
    headers: { Authorization: `Bearer ${BENCH_BROADCAST_SECRET}`, "Content-Type": "application/json" },
    body: JSON.stringify({ rooms: [room], event: "new-order", data }),
  });
  if (res.status !== 200) throw new Error(`publish answered ${res.status}: ${await res.text()}`);
}

/** A socket on `room`; `onFrame` sees every frame (batches unpacked). Resolves once joined. */
function open(port, room, token, query = "", onFrame = () => {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/${room}?token=${encodeURIComponent(token)}${query}`);
    let joined = null;
    ws.addEventListener("message", (event) => {
      const frame = JSON.parse(String(event.data));
      for (const one of frame.event === "batch" ? frame.data : [frame]) {
        if (one.event === "joined" && !joined) {
          joined = one.data;
          resolve({ ws, joined });
        }
        onFrame(one);
      }
    });
    ws.addEventListener("error", () => reject(new Error(`socket to ${room} failed`)));
  });
}

/** One trial: the probe orders' lateness at the watcher, with or without the six resumes. */
async function trial(bundle, withResumes, scenario) {
  const server = await startBareWorkerd({
    bundle,
    secrets: { JWT_SECRET: BENCH_JWT_SECRET, BROADCAST_SECRET: BENCH_BROADCAST_SECRET },
    serverCores: "0",
  });
  const room = "restaurant-kitchen";
  try {
    const sentAt = new Map();
    const lateness = [];
    const watcher = await open(server.port, room, await signToken("watcher", ["kitchen"]), "", (frame) => {
      const at = sentAt.get(frame.data?.orderId);
      if (at !== undefined) lateness.push(performance.now() - at);
    });
    const { epoch } = watcher.joined;
    for (let i = 0; i < scenario.events; i++) await publish(server.port, room, bigOrder(`h${i}`));
    const since = scenario.back === null ? 0 : watcher.joined.seq + scenario.events - scenario.back;

    const kitchen = await signToken("kitchen-account", ["kitchen"]);
    let replayed = 0;
    const resumes = withResumes
      ? Array.from({ length: RESUMERS }, () =>
          open(server.port, room, kitchen, `&since=${since}&epoch=${epoch}`, (frame) => {
            if (frame.data?.orderId?.startsWith?.("h")) replayed++;
          }),
        )
      : [];
    for (let i = 0; i < PROBES; i++) {
      const orderId = `p${i}`;
      sentAt.set(orderId, performance.now());
      await publish(server.port, room, smallOrder(orderId));
      await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
    }
    const opened = await Promise.all(resumes);
    const deadline = Date.now() + 60_000;
    while (lateness.length < PROBES && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    for (const socket of [watcher, ...opened]) socket.ws.close(1000);
    const recovered = opened.filter((socket) => socket.joined.recovered === true).length;
    return { lateness, recovered, replayed };
  } finally {
    await server.stop();
  }
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
  return { p50: at(50), p99: at(99), max: sorted.at(-1) ?? Number.NaN };
}

async function main() {
  const workDir = mkdtempSync(join(tmpdir(), "roomcast-resume-stall-"));
  const variants = [{ name: "hub (this commit)", dir: snapshotHub(workDir) }];
  if (values.before) {
    const dir = join(workDir, "hub-before");
    mkdirSync(join(dir, "dist/web"), { recursive: true });
    const files = ["src", "wrangler.toml", "package.json", "tsconfig.json"];
    execFileSync("sh", ["-c", `git -C "${REPO}" archive ${values.before} ${files.join(" ")} | tar -x -C "${dir}"`]);
    symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"));
    variants.push({ name: `hub at ${values.before.slice(0, 7)}`, dir });
  }
  for (const variant of variants) {
    const out = join(workDir, `bundle-${variants.indexOf(variant)}`);
    mkdirSync(out, { recursive: true });
    variant.bundle = await bundleWorker(join(variant.dir, "wrangler.toml"), out);
  }
  const ms = (value) => (Number.isFinite(value) ? value.toFixed(1) : "-");
  const sections = [];
  for (const scenario of SCENARIOS) {
    const results = variants.map(() => ({ quiet: [], resuming: [], recovered: [], replayed: [] }));
    for (let rep = 1; rep <= REPS; rep++) {
      for (const [index, variant] of variants.entries()) {
        for (const withResumes of [false, true]) {
          const result = await trial(variant.bundle, withResumes, scenario);
          const into = results[index];
          (withResumes ? into.resuming : into.quiet).push(...result.lateness);
          if (withResumes) {
            into.recovered.push(result.recovered);
            into.replayed.push(result.replayed);
          }
          const { p50, max } = summary(result.lateness);
          console.log(
            `${scenario.events} events, rep ${rep}, ${variant.name}, ${withResumes ? "6 resumes" : "quiet"}: p50 ${ms(p50)} ms, max ${ms(max)} ms` +
              (withResumes ? `, ${result.recovered}/6 recovered, ${result.replayed} events replayed` : ""),
          );
        }
      }
    }
    const rows = variants.map((variant, index) => {
      const { quiet, resuming, recovered, replayed } = results[index];
      const calm = summary(quiet);
      const busy = summary(resuming);
      return `| ${variant.name} | ${ms(calm.p50)} / ${ms(calm.max)} | ${ms(busy.p50)} / ${ms(busy.p99)} / ${ms(busy.max)} | ${ms(busy.max / calm.max)}x | ${recovered.join(", ")} | ${replayed.join(", ")} |`;
    });
    sections.push(`## ${scenario.name}

| code | quiet: p50 / max (ms) | six resumes: p50 / p99 / max (ms) | max, resuming / quiet | resumes recovered (of 6), per rep | history events replayed, per rep |
| --- | --- | --- | --- | --- | --- |
${rows.join("\n")}
`);
  }
  const report = `# Does a resume stall a room for others?

\`node bench/resume-stall.mjs${values.before ? ` --before ${values.before}` : ""} --reps ${REPS}\` on ${new Date().toISOString().slice(0, 16)} UTC: the production bundle on bare workerd (core 0), this script's sockets and publisher on core 1. The kitchen room first gets its history of new-orders of about 60 KB each. A watching tablet is connected; then ${RESUMERS} tablets of one kitchen account resume at once, and ${PROBES} small orders are published ${PROBE_EVERY_MS} ms apart from that moment. Lateness: from sending a probe's publish to the watcher receiving it, over ${REPS} repetitions, interleaved; "quiet" is the same run without the resumes.

${sections.join("\n")}
The hub now keeps at most 1,000 events and 4 MiB of frames per room, a resume replays at most that, and one user at most 8 MiB per room per minute (README "Delivery guarantees"): the first resumes of the account replay the kept history, the others are answered \`recovered: false\` (\`replay_limit\`) and replay nothing; a resume from further back than the room keeps is answered \`recovered: false\` (\`history\`) at once.
`;
  writeFileSync(values.out, report);
  console.log(`written to ${values.out}`);
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => killAllNow());
