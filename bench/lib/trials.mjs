/**
 * Reading a run's trials: which trials count, the spread of a figure across repetitions, B's
 * sustainable rate, and the fit of CPU per publish against room size.
 */
import { num, ratio, ratioText } from "./format.mjs";
import { spread } from "./stats.mjs";

/** The headline target: the hub's production bundle on bare workerd. */
export const HUB = "hub-bare";
/** The runtime's floor on the same workerd, and the same-runtime peer. */
export const FLOOR = "floor-bare";
export const PEER = "partyserver-bare";
/** The floor plus one SQLite row per publish: D's goal is 1.1x the floor plus that row. */
export const FLOOR_ROW = "floor-row-bare";
/** The hub under wrangler dev: on its user workerd's port, through its proxy, and in the old all-real-time setup. */
export const DEV = "hub-workerd";
export const PROXY = "hub-wrangler";
export const ALLRT = "hub-workerd-allrt";
export const SIO = "socketio";
export const NAMES = {
  "hub-bare": "hub, bare workerd",
  "floor-bare": "floor, bare workerd",
  "floor-row-bare": "floor + a row per publish, an alarm per join, bare workerd",
  "partyserver-bare": "partyserver, bare workerd",
  "hub-workerd": "hub, wrangler dev (workerd port)",
  "hub-wrangler": "hub, wrangler dev (its port)",
  "hub-workerd-allrt": "hub, wrangler dev, all real-time (old setup)",
  socketio: "Socket.io 4.8",
};

export function trialsOf(data, workload, target) {
  return data.trials.filter((t) => t.workload === workload && t.target === target && t.ok);
}

/** Whether `target`'s trials ran under wrangler dev (they have a "user workerd" process). */
export function usesWrangler(data, target) {
  return data.trials.some((t) => t.target === target && t.processes?.some((p) => p.label === "user workerd"));
}

/** The median over repetitions of `pick(step)` for one step of one workload and target. */
export function stepMedian(data, workload, target, stepIndex, pick) {
  return stepSpread(data, workload, target, stepIndex, pick).median;
}

export function stepSpread(data, workload, target, stepIndex, pick) {
  return spread(
    trialsOf(data, workload, target).map((t) => {
      const step = t.steps?.[stepIndex];
      return step ? pick(step) : null;
    }),
  );
}

/**
 * `a`'s figure over `b`'s within each repetition (`figureOf(trial)`), the two trials run close
 * together: the machine's speed drifts across a run (a whole repetition seen 20% faster than the one
 * before), which a ratio of the two medians carries and a paired ratio mostly cancels.
 */
export function pairedRatios(data, workload, a, b, figureOf) {
  const byRep = (target) => new Map(trialsOf(data, workload, target).map((t) => [t.rep, figureOf(t)]));
  const [as, bs] = [byRep(a), byRep(b)];
  return spread([...as].map(([rep, value]) => (bs.has(rep) && bs.get(rep) ? value / bs.get(rep) : null)));
}

/** Highest rate of the ladder with p99 < 100 ms and nothing lost; 0 when even the first failed. */
export function sustainable(trial) {
  let best = 0;
  for (const step of trial.steps ?? []) {
    if (!step.pass) break;
    best = step.rate;
  }
  return best;
}

/** The top rate of the ladder: a target that passed it may sustain more than the ladder measured. */
export function ladderTop(data) {
  return data.workloads.find((w) => w.id === "B")?.steps.at(-1)?.rate ?? null;
}

/** "30" or, at the top of the ladder, ">= 50". */
export function rateText(data, rate) {
  if (rate === null || rate === undefined) return "-";
  return rate === ladderTop(data) ? `>= ${num(rate, 0)}` : num(rate, 0);
}

export function targetsIn(data) {
  return Object.keys(data.settings.targets);
}

/**
 * Per-publish CPU = fixed + perDelivery x sockets in the room. The per-delivery cost is the slope
 * through the big-room trials (A: 1,000 and C: 5,000 sockets); the fixed cost is what a publish to
 * a 5-socket room (D) costs beyond its five deliveries. Without D, the line's intercept.
 */
export function costFit(data, target, pickUs) {
  const points = (ids) => {
    const out = [];
    for (const id of ids) {
      for (const trial of trialsOf(data, id, target)) {
        const step = trial.steps?.[0];
        if (!step || step.delivered === 0 || step.lossPct > 1) continue;
        out.push({ x: step.subscribers / roomsOf(data, id), y: pickUs(step) / step.published });
      }
    }
    return out;
  };
  let big = points(["A", "C"]);
  const small = points(["D"]);
  if (new Set(big.map((pt) => pt.x)).size < 2) big = [...big, ...small];
  if (new Set(big.map((pt) => pt.x)).size < 2) return null;
  const n = big.length;
  const mx = big.reduce((sum, pt) => sum + pt.x, 0) / n;
  const my = big.reduce((sum, pt) => sum + pt.y, 0) / n;
  const sxx = big.reduce((sum, pt) => sum + (pt.x - mx) ** 2, 0);
  const slope = big.reduce((sum, pt) => sum + (pt.x - mx) * (pt.y - my), 0) / sxx;
  const fixed = small.length > 0 ? spread(small.map((pt) => pt.y - slope * pt.x)).median : my - slope * mx;
  return { fixedUs: fixed, perDeliveryUs: slope, points: n + small.length };
}

export function roomsOf(data, id) {
  return data.workloads.find((w) => w.id === id)?.rooms ?? 1;
}

/** The fits of every target: all its processes, and (for a hub) its user workerd alone. */
export function fitsOf(data) {
  const fits = {};
  for (const t of targetsIn(data)) {
    fits[t] = {
      all: costFit(data, t, (step) => step.cpu.serverUs),
      user: usesWrangler(data, t) ? costFit(data, t, (step) => step.cpu.byLabel["user workerd"] ?? 0) : null,
    };
  }
  return fits;
}

/**
 * Of a trial and its repeat, the attempt less disturbed by other load counts (runs before this
 * rule kept the repeat whatever it saw). An attempt without histograms still counts in the tables.
 */
export function preferQuieter(data) {
  const discarded = [];
  for (const other of data.discarded ?? []) {
    const index = data.trials.findIndex(
      (t) => t.workload === other.workload && t.target === other.target && t.rep === other.rep,
    );
    const kept = data.trials[index];
    if (kept && other.ok && (other.foreignShare ?? 1) < (kept.foreignShare ?? 1)) {
      data.trials[index] = other;
      discarded.push(kept);
    } else discarded.push(other);
  }
  data.discarded = discarded;
}

/**
 * The two ratio columns of every table: `t`'s figures against the floor's and against Socket.io's
 * from the same run, each cell like "p99 1.10x, CPU 0.95x". `metrics` are [label, of(target)]
 * pairs; a cell is "-" for the reference itself.
 */
export function vsCells(t, metrics) {
  return [FLOOR, SIO].map((ref) =>
    t === ref ? "-" : metrics.map(([label, of]) => `${label} ${ratioText(ratio(of(t), of(ref)))}`).join(", "),
  );
}
