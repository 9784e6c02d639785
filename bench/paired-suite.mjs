#!/usr/bin/env node
/**
 * The goals of the hub on the production runtime, settled with paired measurements: each
 * comparison below is one run of paired.mjs (both targets at once on the server core, rounds of
 * fresh process pairs, the geometric mean of the rounds' ratios with a 95% interval), and this
 * writes their headline, each against its goal, then every run's report, to one file.
 * `npm run bench` runs it after run.mjs.
 *
 *   node bench/paired-suite.mjs [--out bench/PAIRED-RESULTS.md] [--only D,F]   # about 20 minutes
 *   node bench/paired-suite.mjs --smoke   # npm test: D and F, one small round each, printed; exit 1 on a loss
 *
 * A goal is met when the whole interval is within it, not met when the whole interval is beyond
 * it, and undecided when the interval spans it (a smoke run's single round has no interval).
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO } from "./lib/targets.mjs";

const { values: opts } = parseArgs({
  options: {
    out: { type: "string" },
    only: { type: "string" },
    smoke: { type: "boolean", default: false },
  },
});

/**
 * `goal(results)`: the most the ratio may be, from this comparison's and the others' results, or
 * null for a comparison that has none (it calibrates, or feeds another's goal).
 */
const COMPARISONS = [
  {
    id: "D-self",
    workload: "D",
    a: "hub-bare",
    b: "hub-bare",
    rounds: 4,
    what: "D, the hub against itself (the method's own spread)",
    goal: () => null,
  },
  {
    id: "D",
    workload: "D",
    a: "hub-bare",
    b: "floor-bare",
    rounds: 6,
    what: "D: 200 rooms x 5, 100/s, CPU per publish",
    goal: () => null,
  },
  {
    id: "D-row",
    workload: "D",
    a: "hub-bare",
    b: "floor-row-bare",
    rounds: 6,
    what: "D against the floor writing one row per publish",
    // At most 1.1x the floor plus one row: hub <= 1.1 floor + (row - floor), so hub / row <= 1 + 0.1 floor / row,
    // with floor / row from the two D comparisons (hub / row over hub / floor).
    goal: (results) => {
      const floor = results.get("D");
      const row = results.get("D-row");
      if (!floor || !row) return 1.1;
      return 1 + 0.1 * (row.ratio / floor.ratio);
    },
    goalText: "1.1x the floor plus a row",
  },
  {
    id: "A",
    workload: "A",
    a: "hub-bare",
    b: "floor-bare",
    rounds: 4,
    what: "A: 1 room x 1,000, 10/s, CPU per delivered message",
    goal: () => 1.05,
  },
  {
    id: "F",
    workload: "F",
    a: "hub-bare",
    b: "floor-bare",
    rounds: 8,
    what: "F: 2,000 joins into one room, CPU per connection",
    goal: () => 1.2,
  },
  {
    id: "F2",
    workload: "F2",
    a: "hub-bare",
    b: "floor-bare",
    rounds: 6,
    what: "F2: 2,000 joins into 2,000 personal rooms, CPU per connection",
    goal: () => 1.2,
  },
  {
    id: "F2-row",
    workload: "F2",
    a: "hub-bare",
    b: "floor-row-bare",
    rounds: 6,
    what: "F2 against the floor setting one alarm per join",
    goal: () => null,
  },
];

const SMOKE = ["D", "F"];

/**
 * The checkout's commit, marked when the code it measures has changes (src, the bench's Workers and
 * scripts; not the reports a run writes, such as run.mjs's before this).
 */
function gitHead() {
  const run = (...args) => execFileSync("git", args, { cwd: REPO, encoding: "utf8" }).trim();
  const code = ["src", "bench/workers", "bench/lib", "bench/*.mjs", "wrangler.toml"];
  try {
    return `${run("rev-parse", "--short", "HEAD")}${run("status", "--porcelain", "--", ...code) ? " (with changes)" : ""}`;
  } catch {
    return "an unknown commit";
  }
}

const x = (value) => (Number.isFinite(value) ? `${value.toFixed(3)}x` : "-");

/** Where a ratio and its interval stand against a goal (null: no goal). */
function verdict(result, goal) {
  if (goal === null) return "";
  if (opts.smoke) return "smoke size: no verdict";
  if (result.lost) return "deliveries missing: no verdict";
  if (!Number.isFinite(result.low)) return result.ratio <= goal ? "under it (one round)" : "over it (one round)";
  if (result.high <= goal) return "**met**";
  if (result.low > goal) return `**not met**, ${((result.ratio / goal - 1) * 100).toFixed(0)}% over`;
  return "undecided: the interval spans the goal";
}

function runPaired(comparison, dir) {
  const json = join(dir, `${comparison.id}.json`);
  const md = join(dir, `${comparison.id}.md`);
  const args = [join(REPO, "bench/paired.mjs"), "--workload", comparison.workload, "--a", comparison.a];
  args.push("--b", comparison.b, "--json", json, "--out", md);
  args.push(...(opts.smoke ? ["--smoke"] : ["--rounds", String(comparison.rounds)]));
  console.error(`[suite] ${comparison.id}: ${comparison.what}`);
  return new Promise((done, fail) => {
    // paired.mjs's own table goes to the file; its progress lines (stderr) show here.
    const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] });
    child.on("error", fail);
    child.on("exit", (code) => {
      try {
        const result = JSON.parse(readFileSync(json, "utf8"));
        done({ ...result, code, report: readFileSync(md, "utf8") });
      } catch {
        fail(new Error(`paired.mjs for ${comparison.id} ended with ${code} and no result`));
      }
    });
  });
}

function render(chosen, results, started) {
  const rows = chosen.map((comparison) => {
    const result = results.get(comparison.id);
    const goal = comparison.goal(results);
    const interval = Number.isFinite(result.low) ? `${x(result.low)}-${x(result.high)}` : "one round";
    const goalCell = goal === null ? "" : `${comparison.goalText ? `${comparison.goalText}: ` : ""}${x(goal)}`;
    return `| ${comparison.what} | \`${comparison.a}\` / \`${comparison.b}\` | ${x(result.ratio)} | ${interval} | ${goalCell} | ${verdict(result, goal)} |`;
  });
  const reports = chosen.map((comparison) => {
    // Each run's report, its title one level down.
    return results.get(comparison.id).report.replace(/^# /, "## ");
  });
  return [
    "# Paired results: the hub against the runtime's floor on bare workerd",
    "",
    `${started.toISOString()}, main at ${gitHead()}; \`node bench/paired-suite.mjs${opts.smoke ? " --smoke" : ""}\`. Each row is one run of \`bench/paired.mjs\`: both targets at once on the server core, each with its own load client and publisher; rounds of fresh process pairs; the geometric mean of the rounds' ratios with a 95% interval. A goal is met when the whole interval is within it.`,
    "",
    "| comparison | a / b | ratio | 95% interval | goal | |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    ...reports,
  ].join("\n");
}

async function main() {
  const wanted = opts.smoke ? SMOKE : (opts.only?.split(",") ?? COMPARISONS.map((c) => c.id));
  const chosen = COMPARISONS.filter((c) => wanted.includes(c.id));
  if (chosen.length !== wanted.length) {
    throw new Error(`--only: some of ${COMPARISONS.map((c) => c.id).join(", ")} (got ${wanted.join(",")})`);
  }
  const dir = mkdtempSync(join(tmpdir(), "roomcast-suite-"));
  const started = new Date();
  try {
    const results = new Map();
    for (const comparison of chosen) results.set(comparison.id, await runPaired(comparison, dir));
    const report = render(chosen, results, started);
    // A smoke run's figures are of the smoke sizes: printed, written only where --out says.
    const out = opts.out ?? (opts.smoke ? null : join(REPO, "bench/PAIRED-RESULTS.md"));
    if (out) writeFileSync(out, report);
    console.log(report.split("\n\n## ")[0]);
    if (out) console.error(`[suite] wrote ${out}`);
    return [...results.values()].some((result) => result.code !== 0 || result.lost) ? 1 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
