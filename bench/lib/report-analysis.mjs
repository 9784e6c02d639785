/**
 * The reading of a run in RESULTS.md: where each target's CPU goes (per process, and the fixed and
 * marginal cost of a publish), the profilers' summaries, and what the figures say, each statement
 * computed from this run's trials.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ms, num, ratio, ratioText, table } from "./format.mjs";
import { spread } from "./stats.mjs";
import {
  ALLRT,
  DEV,
  FLOOR,
  FLOOR_ROW,
  HUB,
  NAMES,
  PEER,
  PROXY,
  SIO,
  stepMedian,
  trialsOf,
  vsCells,
} from "./trials.mjs";

const perMsg = (x) => x.cpu.serverUsPerMsg;
const perPublish = (x) => (x.published > 0 ? x.cpu.serverUs / x.published : null);

/** Where the CPU goes: per process, and the fixed and marginal cost of a publish. */
export function cpuSection(r) {
  const { data, targets, has, fits, p } = r;
  const split = [];
  for (const t of targets) {
    for (const id of ["A", "C", "D"].filter(has)) {
      const trials = trialsOf(data, id, t).filter((trial) => trial.steps?.[0]?.delivered > 0);
      if (trials.length === 0) continue;
      const labels = Object.keys(trials[0].steps[0].cpu.byLabel);
      const cells = labels
        .map((label) => {
          const per = spread(trials.map((trial) => trial.steps[0].cpu.byLabelUsPerMsg[label]));
          const sys = spread(
            trials.map(
              (trial) =>
                (100 * (trial.steps[0].cpu.systemByLabel?.[label] ?? 0)) /
                Math.max(1, trial.steps[0].cpu.byLabel[label]),
            ),
          );
          return per.median > 0.05 ? `${label} ${num(per.median)} (${num(sys.median, 0)}% kernel)` : null;
        })
        .filter(Boolean);
      split.push([
        NAMES[t] ?? t,
        id,
        ms(spread(trials.map((trial) => trial.steps[0].cpu.serverUsPerMsg))),
        cells.join("; "),
        ...vsCells(t, [["CPU", (x) => stepMedian(data, id, x, 0, perMsg)]]),
      ]);
    }
  }
  const fitRows = [];
  const fitOf = (t, kind) => fits[t]?.[kind];
  for (const t of targets) {
    for (const [kind, what] of [
      ["all", "all processes"],
      ["user", "user workerd only"],
    ]) {
      const f = fitOf(t, kind);
      if (!f) continue;
      fitRows.push([
        NAMES[t] ?? t,
        what,
        num(f.fixedUs, 0),
        num(f.perDeliveryUs, 1),
        String(f.points),
        // This row's fit against the references' whole-target fits.
        ...vsCells(t, [
          ["fixed", (x) => (x === t ? f : fitOf(x, "all"))?.fixedUs ?? null],
          ["marginal", (x) => (x === t ? f : fitOf(x, "all"))?.perDeliveryUs ?? null],
        ]),
      ]);
    }
  }
  p(
    "## Where the CPU goes",
    "Server CPU per delivered message, split by process (us per message, with the kernel's share of that process in brackets); on bare workerd a target is one process:",
    table(["target", "workload", "us/msg, all", "per process", "vs floor", "vs Socket.io"], split),
    "Fixed cost per publish and marginal cost per delivery: the slope of CPU per publish against sockets per room through every A (1,000 sockets) and C (5,000) trial, and what a publish to a 5-socket room (D) costs beyond its five deliveries (ratios of the all-process fits):",
    table(
      [
        "target",
        "processes",
        "us per publish (fixed)",
        "us per delivery (marginal)",
        "trials",
        "vs floor",
        "vs Socket.io",
      ],
      fitRows,
    ),
  );
}

/** Summaries of the profilers' files found next to the report, and the bare-workerd profile. */
export function profilesSection(r) {
  const { outDir, p } = r;
  /** The first rows of a profile's table in `file`, as "name share" pairs, when the file exists. */
  const summary = (file, what, isRow, separator) => {
    const path = join(outDir, file);
    if (!existsSync(path)) return null;
    const rows = readFileSync(path, "utf8").split("\n").filter(isRow).slice(0, 6);
    const pairs = rows.map((line) => line.split("|").map((cell) => cell.trim()));
    return `- [${file}](${file}), ${what}: ${pairs.map((cells) => `${cells[1]} ${cells[3]}`).join(separator)}`;
  };
  const loads = [
    ["A", "hub under wrangler dev, A-like load (1 room x 1,000, 10/s)"],
    ["D", "hub under wrangler dev, D-like load (200 rooms x 5, 100/s)"],
    ["A-bare", "hub on bare workerd, A-like load"],
    ["A-floor", "floor on bare workerd, A-like load"],
    ["D-bare", "hub on bare workerd, D-like load"],
    ["D-floor", "floor on bare workerd, D-like load"],
  ];
  const isV8Row = (line) => /^\| `/.test(line);
  const isPerfRow = (line) => /^\| [^-]/.test(line) && !line.startsWith("| where");
  const profiles = loads.map(([id, what]) => summary(`PROFILE-${id}.md`, what, isV8Row, ", ")).filter(Boolean);
  const natives = loads.map(([id, what]) => summary(`PERF-${id}.md`, what, isPerfRow, "; ")).filter(Boolean);
  if (existsSync(join(outDir, "PROFILE-BARE.md"))) {
    p(
      "### Profile of the hub on bare workerd",
      "[PROFILE-BARE.md](PROFILE-BARE.md): where the CPU of a publish goes on bare workerd against the floor (Hono routing, the bearer check, zod, the idempotency hash, the RPC, the SQLite insert, the response), per delivered message in A and C, and what to change.",
    );
  }
  if (natives.length > 0) {
    p(
      "### Native profiles (Linux perf)",
      "`node bench/perf.mjs` samples one workerd with `perf record -g` (user and kernel, every thread) under the bench's load and puts each sample in one category by the frames on its stack. Unlike the V8 profile it sees the runtime's own work:",
      ...natives,
    );
  }
  if (profiles.length > 0) {
    p(
      "### V8 profiles",
      "Sampled through the inspector by `node bench/profile.mjs` (separate runs on the same machine, same priority; the sampler is coarse, so read shares, not decimals). Self time of the top entries:",
      ...profiles,
    );
  }
}

/** What the figures say: the runtime against Socket.io, the hub against the floor, wrangler dev's share. */
export function analysisSection(r) {
  const { data, targets, has, p } = r;
  const ran = (t, id) => targets.includes(t) && trialsOf(data, id, t).length > 0;
  const at = (id, t, pick) => (ran(t, id) ? stepMedian(data, id, t, 0, pick) : null);
  const storm = (id, t) =>
    ran(t, id) ? spread(trialsOf(data, id, t).map((trial) => trial.storm?.serverUsPerConnection)).median : null;
  const x = (a, b) => ratioText(ratio(a, b));
  const out = [];
  if (ran(FLOOR, "A") && ran(SIO, "A")) {
    out.push(
      `- **Where the runtime stands (the floor against Socket.io).** The naive room object on bare workerd spends ${num(at("A", FLOOR, perMsg))} us of CPU per delivered message in A (Socket.io ${num(at("A", SIO, perMsg))}: ${x(at("A", FLOOR, perMsg), at("A", SIO, perMsg))})` +
        (ran(FLOOR, "D")
          ? `, ${num(at("D", FLOOR, perPublish))} us per publish in D (Socket.io ${num(at("D", SIO, perPublish))}: ${x(at("D", FLOOR, perPublish), at("D", SIO, perPublish))})`
          : "") +
        (ran(FLOOR, "F")
          ? ` and ${num(storm("F", FLOOR) / 1000, 2)} ms per connection in F (Socket.io ${num(storm("F", SIO) / 1000, 2)})`
          : "") +
        ". That gap is the runtime's, not the hub's: the floor does nothing but the runtime's own work. A frame goes from JavaScript through the runtime's WebSocket layers, one write and one event-loop turn per socket; a publish is an HTTP request into the Worker and an RPC into the object; Socket.io writes a pre-encoded buffer to each socket from inside one V8 isolate.",
    );
  }
  if (ran(HUB, "A") && ran(FLOOR, "A")) {
    const rows = ["A", "C", "D"]
      .filter((id) => ran(HUB, id) && ran(FLOOR, id))
      .map((id) =>
        id === "D"
          ? `D ${num(at(id, HUB, perPublish))} against ${num(at(id, FLOOR, perPublish))} us per publish (${x(at(id, HUB, perPublish), at(id, FLOOR, perPublish))})`
          : `${id} ${num(at(id, HUB, perMsg))} against ${num(at(id, FLOOR, perMsg))} us per delivered message (${x(at(id, HUB, perMsg), at(id, FLOOR, perMsg))})`,
      );
    if (ran(HUB, "D") && ran(FLOOR, "D") && ran(FLOOR_ROW, "D")) {
      const [hub, floor, withRow] = [HUB, FLOOR, FLOOR_ROW].map((t) => at("D", t, perPublish));
      // 1.1x the floor plus one row: the floor's cost with a tenth more, and what the row adds.
      const goal = 1.1 * floor + (withRow - floor);
      rows.push(
        `D's goal (1.1x the floor plus one SQLite row, the row measured by the floor writing one: ${num(withRow)} us per publish) is ${num(goal)} us per publish; the hub is at ${x(hub, goal)} of it (${hub <= goal ? "met" : "not met"})`,
      );
    }
    for (const id of ["F", "F2"].filter((w) => ran(HUB, w) && ran(FLOOR, w))) {
      rows.push(
        `${id} ${num(storm(id, HUB) / 1000, 2)} against ${num(storm(id, FLOOR) / 1000, 2)} ms per connection (${x(storm(id, HUB), storm(id, FLOOR))})`,
      );
    }
    if (ran(HUB, "F2") && ran(FLOOR, "F2") && ran(FLOOR_ROW, "F2")) {
      const [hub, floor, withAlarm] = [HUB, FLOOR, FLOOR_ROW].map((t) => storm("F2", t));
      rows.push(
        `F2 against the floor setting one alarm per join (the one write a personal room's first join cannot do without: it creates the room's database), ${num(withAlarm / 1000, 2)} ms per connection: the hub ${x(hub, withAlarm)} of it; that write alone is ${x(withAlarm, floor)} the floor`,
      );
    }
    const peer = ["A", "C", "D"]
      .filter((id) => ran(PEER, id) && ran(FLOOR, id))
      .map((id) => {
        const pick = id === "D" ? perPublish : perMsg;
        return `${id} ${x(at(id, PEER, pick), at(id, FLOOR, pick))}`;
      });
    out.push(
      `- **Where the hub stands (against the floor, same workerd, same run).** ${rows.join("; ")}. This gap is ours: the hub's routing, auth, validation, history row and frame building.` +
        (peer.length ? ` partyserver, the same-runtime peer, against the floor: ${peer.join(", ")}.` : "") +
        " PROFILE-BARE.md breaks the D gap down.",
    );
  }
  if (ran(DEV, "A") && ran(HUB, "A")) {
    out.push(
      `- **What wrangler dev adds.** The same hub under \`wrangler dev\`, on its user workerd's port: A ${num(at("A", DEV, perMsg))} us per delivered message against ${num(at("A", HUB, perMsg))} on bare workerd (${x(at("A", DEV, perMsg), at("A", HUB, perMsg))})` +
        (ran(DEV, "D") && ran(HUB, "D")
          ? `, D ${num(at("D", DEV, perPublish))} against ${num(at("D", HUB, perPublish))} us per publish (${x(at("D", DEV, perPublish), at("D", HUB, perPublish))})`
          : "") +
        (ran(PROXY, "A")
          ? `; through wrangler's own port (its proxy workerd re-sends every frame) A costs ${num(at("A", PROXY, perMsg))} us per message`
          : "") +
        ". These figures include wrangler's node and esbuild, which production does not run; the user workerd alone is in the per-process table above. `wrangler dev` also puts its asset router in front of the Worker for every request that is not a static file unless `run_worker_first` lists the route: wrangler.toml lists the Worker's routes (`/ws/*`, `/access/*`, `/internal/*`, `/dev/*`, `/health`), which skip it.",
    );
  }
  if (ran(ALLRT, "A") && ran(DEV, "A")) {
    const ids = ["A", "D"].filter((id) => ran(ALLRT, id) && ran(DEV, id));
    const p99 = (id, target) => at(id, target, (s) => s.latency.p99);
    const tail = ids.map(
      (id) =>
        `${id} p99 ${num(p99(id, DEV))} ms at normal priority against ${num(p99(id, ALLRT))} ms all real-time (max ${num(at(id, DEV, (s) => s.latency.max))} against ${num(at(id, ALLRT, (s) => s.latency.max))})`,
    );
    const lower = ids.every((id) => (p99(id, DEV) ?? Infinity) <= (p99(id, ALLRT) ?? 0));
    const verdict = lower
      ? "Normal priority for wrangler's node, esbuild and proxy lowers every p99: the tail of earlier runs was the bench's."
      : "In this run normal priority did not lower every p99, so this run does not show the tail removed under wrangler dev (the tables' [min-max] give each setup's spread between repetitions).";
    const bare =
      ran(HUB, "D") && ran(FLOOR, "D")
        ? ` On bare workerd, with no wrangler process at all, D's p99 is ${num(p99("D", HUB))} ms against the floor's ${num(p99("D", FLOOR))} ms: no 60-150 ms tail, and A's p99 (${num(p99("A", HUB))} against ${num(p99("A", FLOOR))} ms) is the time of a 1,000-socket fan-out on this machine (next point), not a tail.`
        : "";
    out.push(
      `- **The tail under wrangler dev, by priority.** ${tail.join("; ")}. ${verdict}${bare} The previous full runs, all real-time, had A p99 101 ms and D p99 85 ms under wrangler dev.`,
    );
  }
  out.push(
    "- **Latency in big rooms (A, C, B).** With one core for everything, a publish to 1,000 sockets occupies the object for the per-frame cost times 1,000, and the first socket's frame leaves only after the room's send loop has queued them all: p50 is about half a fan-out, p90 about a whole one; every event behind it waits. Socket.io's p99 rises for the same reason, later. On Cloudflare a room is one object on one thread too; only sharding a big room over several objects would spread it.",
    ...shardingModel(at("C", HUB, perMsg) ?? at("C", DEV, perMsg)),
    "- **Saturation (B's upper steps, C).** Once a room's fan-outs take longer than its events are apart, the room coalesces (COALESCE in src/protocol.ts; it times each fan-out, so it adapts to whatever the runtime costs): CPU per delivered message falls as the rate rises because several events share one frame per socket, and p50 stays bounded instead of growing with the backlog. The floor and partyserver do not coalesce: compare their B steps.",
    "- **Memory per socket (E).** workerd keeps, per hibernatable socket, the accepted WebSocket with its attachment and buffers (under wrangler dev the proxy holds a second pair of connections). This is local memory only: on Cloudflare memory is not billed per socket, and a hibernated object's sockets cost no duration.",
    "- **Cost at 1,000,000 customers** (next section): the hub's bill is mostly SQLite rows written by the history and per-room requests, which a Socket.io fleet does not pay for. What would lower it: history only for rooms whose clients resume, or fewer, larger events.",
  );
  if (has("A")) p("## What the figures say", ...out);
}

/**
 * A paper model, nothing built: a 5,000-socket room's fan-out in one object against the same room
 * sharded over N objects (each on its own thread; in production, Durable Objects on other
 * machines), from the per-frame cost measured in C. What sharding costs: N RPCs per publish (a
 * coordinator or the Worker sends the event to every shard) instead of one.
 */
function shardingModel(usPerFrame) {
  if (!Number.isFinite(usPerFrame) || usPerFrame === null) return [];
  const sockets = 5_000;
  const rpcMs = 0.17; // one RPC hop, bench/PUBLISH-PATH.md (rpc-floor)
  const rows = [1, 5, 10, 50].map((shards) => {
    const fanOutMs = ((sockets / shards) * usPerFrame) / 1000 + (shards > 1 ? rpcMs : 0);
    return `${shards} object${shards > 1 ? "s" : ""}: ${num(fanOutMs, 1)} ms a fan-out (at most ${num(1000 / fanOutMs, 0)} events/s before the room must coalesce), ${shards} Durable Object request${shards > 1 ? "s" : ""} per publish ($${num(0.15 * shards, 2)} per million publishes)`;
  });
  return [
    `- **Big rooms, sharded (a paper model, nothing built).** At the ${num(usPerFrame, 1)} us per delivered frame measured in C, a 5,000-socket room in one object takes ${num((sockets * usPerFrame) / 1000, 0)} ms to send one event to every socket. Split over N objects by socket (each shard holds 5,000/N sockets; a publish goes to every shard, in parallel, one RPC hop of about ${rpcMs} ms each): ${rows.join("; ")}. Order and resume stay per shard (each shard keeps its own seq; a client resumes in its shard), so nothing else changes for clients. Worth it for rooms over about 1,000 sockets that need more than a few events a second; the hub's rooms (orders, kitchens, personal rooms) are far smaller.`,
  ];
}
