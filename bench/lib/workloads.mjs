/**
 * The workloads of `npm run bench`, one row each with its full size and its smoke size (the few
 * sockets and short windows `npm test` runs so that the harness cannot rot).
 *
 * A row: `rooms` rooms of `perRoom` sockets each (`perRoom` alone, without named rooms, puts every
 * socket in its own personal room `user-<sub>`), the publish `rates` (one measured step each; B's
 * ladder has several), `stepMs` per step, `warmupMs` at the first rate (discarded), and for C an
 * `idle` window (E) before the first publish. `kind: "storm"` opens every socket at once and
 * measures the connecting only.
 */

const WORKLOADS = [
  {
    id: "A",
    kind: "latency",
    rooms: 1,
    perRoom: 1000,
    rates: [10],
    stepMs: 10_000,
    warmupMs: 3_000,
    smoke: { perRoom: 5, rates: [5], stepMs: 1_000, warmupMs: 400 },
    title: (w) => `1 room x ${int(w.perRoom)} subscribers, ${w.rates[0]} publishes/s`,
  },
  {
    id: "B",
    kind: "latency",
    ladder: true,
    rooms: 1,
    perRoom: 1000,
    rates: [5, 10, 20, 30, 50],
    stepMs: 6_000,
    warmupMs: 3_000,
    smoke: { perRoom: 5, rates: [5, 10], stepMs: 600, warmupMs: 400 },
    title: (w) => `1 room x ${int(w.perRoom)} subscribers, ${w.rates[0]} → ${w.rates.at(-1)} publishes/s`,
  },
  {
    id: "C",
    kind: "latency",
    rooms: 1,
    perRoom: 5000,
    rates: [4],
    stepMs: 10_000,
    warmupMs: 3_000,
    // Longer than one heartbeat period: every socket of every target heartbeats inside it.
    idle: { settleMs: 5_000, windowMs: 32_000 },
    smoke: { perRoom: 10, rates: [4], stepMs: 1_000, warmupMs: 400, idle: { settleMs: 200, windowMs: 1_500 } },
    title: (w) =>
      `1 room x ${int(w.perRoom)} subscribers, ${w.rates[0]} publishes/s (E measured on the same sockets before)`,
  },
  {
    id: "D",
    kind: "latency",
    rooms: 200,
    perRoom: 5,
    rates: [100],
    stepMs: 10_000,
    warmupMs: 3_000,
    smoke: { rooms: 3, perRoom: 2, rates: [10], stepMs: 1_000, warmupMs: 400 },
    title: (w) =>
      `${int(w.rooms)} order rooms x ${w.perRoom} subscribers, ${w.rates[0]} publishes/s spread over the rooms`,
  },
  {
    id: "F",
    kind: "storm",
    rooms: 1,
    perRoom: 2000,
    smoke: { perRoom: 10 },
    title: (w) => `${int(w.perRoom)} clients connecting at once with tokens, into one room`,
  },
  {
    id: "F2",
    kind: "storm",
    personal: 2000,
    smoke: { personal: 10 },
    title: (w) => `${int(w.personal)} clients connecting at once with tokens, each into its own personal room`,
  },
];

const int = (n) => n.toLocaleString("en-US");

/**
 * The workloads at `scale` ("full" or "smoke"), each with its socket groups and steps as the
 * orchestrator runs them.
 */
export function workloads(scale) {
  const smoke = scale === "smoke";
  return WORKLOADS.map(({ smoke: small, title, ...full }) => {
    const w = smoke ? { ...full, ...small } : full;
    const prefix = `order-${smoke ? "smoke" : "bench"}-${w.id.toLowerCase()}`;
    const sub = w.id.toLowerCase();
    let groups;
    if (w.personal) groups = [{ count: w.personal, roles: ["kitchen"], subPrefix: `${sub}u` }];
    else if (w.rooms === 1) groups = [{ room: prefix, count: w.perRoom, roles: ["kitchen"], subPrefix: sub }];
    else {
      groups = Array.from({ length: w.rooms }, (_, i) => ({
        room: `${prefix}${i}`,
        count: w.perRoom,
        roles: ["kitchen"],
        subPrefix: `${sub}${i}x`,
      }));
    }
    const rooms = w.personal ?? w.rooms;
    const out = { id: w.id, title: `${smoke ? "smoke: " : ""}${title(w)}`, kind: w.kind, rooms, groups };
    if (w.ladder) out.ladder = true;
    if (w.idle) out.idle = w.idle;
    if (w.kind === "latency") {
      out.warmupMs = w.warmupMs;
      out.steps = w.rates.map((rate) => ({ rate, ms: w.stepMs }));
    }
    return out;
  });
}
