/**
 * The production cost model: Cloudflare's prices, the assumptions behind the hub's and the
 * Socket.io fleet's monthly bill (retune them here), and the report section that states them.
 */

import { num, table, usd } from "./format.mjs";
import { spread } from "./stats.mjs";
import { DEV, HUB, NAMES, SIO, trialsOf } from "./trials.mjs";

/**
 * Prices: Cloudflare Workers Paid and Durable Objects as documented (developers.cloudflare.com,
 * durable-objects/platform/pricing and workers/platform/pricing). Everything marked `assumed` is an
 * assumption of this model, not a measurement or a list price.
 */
export const COST = {
  month: 30 * 24 * 3600,
  cf: {
    base: 5,
    workerRequestsIncluded: 10e6,
    workerRequestsPerM: 0.3,
    workerCpuMsIncluded: 30e6,
    workerCpuPerMMs: 0.02,
    doRequestsIncluded: 1e6,
    doRequestsPerM: 0.15,
    doGbSecondsIncluded: 400e3,
    doGbSecondsPerM: 12.5,
    wsIncomingRatio: 20,
    rowsWrittenIncluded: 50e6,
    rowsWrittenPerM: 1.0,
    storageGbIncluded: 5,
    storagePerGbMonth: 0.2,
  },
  assumed: {
    socketsPerCustomer: 1,
    heartbeatS: 30,
    connectsPerSocketPerDay: 24,
    eventsPerCustomerPerHour: 6,
    socketsPerRoom: 1,
    /** the event row (idempotency key included) + its later deletion by trim (room-history.ts). */
    rowsWrittenPerPublish: 2,
    historyBytesPerRoom: 200 * 250,
    vm: { vcpu: 2, memGiB: 4, usdPerMonth: 30 },
    cpuHeadroom: 0.5,
    memHeadroom: 0.7,
    minServers: 2,
    redisUsdPerMonth: (customers) => (customers <= 50_000 ? 30 : 400),
    loadBalancerUsdPerMonth: 25,
    /** CPU each Socket.io process spends on a publish it receives from Redis for rooms it may not hold. */
    redisFanInUsPerPublishPerProcess: 20,
  },
};

export function hubCost(customers, m) {
  const a = COST.assumed;
  const cf = COST.cf;
  const sockets = customers * a.socketsPerCustomer;
  const connects = sockets * a.connectsPerSocketPerDay * 30;
  const heartbeats = (sockets * COST.month) / a.heartbeatS;
  const publishes = customers * a.eventsPerCustomerPerHour * 24 * 30;
  const workerRequests = connects + publishes;
  const workerCpuMs = (connects * (m.workerUsPerConnect ?? 1000)) / 1000 + (publishes * 300) / 1000;
  const doRequestsNoHeartbeat = connects * 2 /* upgrade + expiry alarm */ + publishes;
  const doRequests = doRequestsNoHeartbeat + heartbeats / cf.wsIncomingRatio;
  const activeSeconds =
    (publishes * (m.fixedUs + m.perDeliveryUs * a.socketsPerRoom)) / 1e6 +
    (connects * (m.workerUsPerConnect ?? 1000)) / 1e6;
  const gbs = activeSeconds * 0.128;
  const rowsWritten = publishes * a.rowsWrittenPerPublish + connects; // + setAlarm per connection
  const storageGb = (customers * a.historyBytesPerRoom) / 1e9;
  const over = (x, included) => Math.max(0, x - included);
  const lines = {
    base: cf.base,
    workerRequests: (over(workerRequests, cf.workerRequestsIncluded) / 1e6) * cf.workerRequestsPerM,
    workerCpu: (over(workerCpuMs, cf.workerCpuMsIncluded) / 1e6) * cf.workerCpuPerMMs,
    doRequests: (over(doRequestsNoHeartbeat, cf.doRequestsIncluded) / 1e6) * cf.doRequestsPerM,
    heartbeats: (heartbeats / cf.wsIncomingRatio / 1e6) * cf.doRequestsPerM,
    duration: (over(gbs, cf.doGbSecondsIncluded) / 1e6) * cf.doGbSecondsPerM,
    rowsWritten: (over(rowsWritten, cf.rowsWrittenIncluded) / 1e6) * cf.rowsWrittenPerM,
    storage: over(storageGb, cf.storageGbIncluded) * cf.storagePerGbMonth,
  };
  const total = Object.values(lines).reduce((s, x) => s + x, 0);
  return { sockets, connects, heartbeats, publishes, doRequests, gbs, rowsWritten, storageGb, lines, total };
}

export function socketIoCost(customers, m) {
  const a = COST.assumed;
  const sockets = customers * a.socketsPerCustomer;
  const publishesPerS = (customers * a.eventsPerCustomerPerHour) / 3600;
  const connectsPerS = (sockets * a.connectsPerSocketPerDay) / 86400;
  const cpuUsPerS =
    publishesPerS * (m.fixedUs + m.perDeliveryUs * a.socketsPerRoom) +
    sockets * m.idleUsPerSocketPerS +
    connectsPerS * m.usPerConnect;
  const memKiB = sockets * m.kibPerSocket;
  const coresForCpu = cpuUsPerS / 1e6 / a.cpuHeadroom;
  // One Node process per vCPU; each process also holds its baseline memory.
  const usableMemPerVmKiB = a.vm.memGiB * 1024 * 1024 * a.memHeadroom - a.vm.vcpu * m.baselineKiB;
  const vmsForMem = memKiB / usableMemPerVmKiB;
  let vms = Math.max(a.minServers, Math.ceil(Math.max(coresForCpu / a.vm.vcpu, vmsForMem)));
  // With the Redis adapter every process sees every publish: add that, and size again.
  const processes = () => vms * a.vm.vcpu;
  const redisCores = () => (processes() * publishesPerS * a.redisFanInUsPerPublishPerProcess) / 1e6 / a.cpuHeadroom;
  while ((coresForCpu + redisCores()) / a.vm.vcpu > vms) vms++;
  const lines = {
    servers: vms * a.vm.usdPerMonth,
    redis: a.redisUsdPerMonth(customers),
    loadBalancer: a.loadBalancerUsdPerMonth,
  };
  const total = Object.values(lines).reduce((s, x) => s + x, 0);
  return {
    sockets,
    publishesPerS,
    cpuUsPerS,
    memKiB,
    coresForCpu,
    vmsForMem,
    vms,
    redisCores: redisCores(),
    lines,
    total,
  };
}

/**
 * The hub against a Socket.io fleet at 10,000 and 1,000,000 customers, from this run's fits and
 * E/F figures and the assumptions above.
 */
export function costSection(r) {
  const { data, fits, p } = r;
  const sioFit = fits[SIO]?.all;
  const a = COST.assumed;
  // The hub's figures: on bare workerd (the production stand-in), else the user workerd under wrangler dev.
  const hubTarget = fits[HUB]?.all ? HUB : DEV;
  const hubUser = fits[hubTarget]?.user ?? fits[hubTarget]?.all;
  const fSio = trialsOf(data, "F", SIO).map((t) => t.storm?.serverUsPerConnection);
  const fHub = trialsOf(data, "F", hubTarget).map((t) => {
    const cpu = t.storm?.cpu;
    return cpu && t.connect?.opened ? (cpu.byLabel["user workerd"] ?? cpu.serverUs) / t.connect.opened : null;
  });
  const eSio = trialsOf(data, "C", SIO).filter((t) => t.idle);
  const kib = spread(
    eSio.map((t) => (t.rssAfter["socket.io node"] - t.rssBefore["socket.io node"]) / t.idle.sockets),
  ).median;
  const baseline = spread(eSio.map((t) => t.rssBefore["socket.io node"])).median;
  const idleUs = spread(eSio.map((t) => t.idle.cpu.serverUs / t.idle.sockets / (t.idle.cpu.wallUs / 1e6))).median;
  if (hubUser && sioFit && kib !== null) {
    const hubM = {
      fixedUs: Math.max(0, hubUser.fixedUs),
      perDeliveryUs: Math.max(0, hubUser.perDeliveryUs),
      workerUsPerConnect: spread(fHub).median ?? 1000,
    };
    const sioM = {
      fixedUs: Math.max(0, sioFit.fixedUs),
      perDeliveryUs: Math.max(0, sioFit.perDeliveryUs),
      kibPerSocket: kib,
      baselineKiB: baseline ?? 90_000,
      idleUsPerSocketPerS: idleUs ?? 0,
      usPerConnect: spread(fSio).median ?? 600,
    };
    const rows = [];
    const detail = [];
    for (const customers of [10_000, 1_000_000]) {
      const h = hubCost(customers, hubM);
      const sio = socketIoCost(customers, sioM);
      rows.push([
        customers.toLocaleString("en-US"),
        usd(h.total),
        `${usd(h.total - h.lines.heartbeats)}`,
        usd(sio.total),
        `${sio.vms} x ${a.vm.vcpu} vCPU/${a.vm.memGiB} GiB (needs ${num(sio.coresForCpu + sio.redisCores, 1)} vCPU at ${num(a.cpuHeadroom * 100, 0)}% load, ${num(sio.memKiB / 2 ** 20, 1)} GiB of sockets)`,
      ]);
      detail.push(
        `- ${customers.toLocaleString("en-US")} customers, hub: ${num(h.connects / 1e6, 1)} M connections, ${num(h.publishes / 1e6, 1)} M publishes, ${num(h.heartbeats / 1e6, 0)} M heartbeats, ${num(h.gbs / 1e3, 1)} k GB-s, ${num(h.rowsWritten / 1e6, 1)} M rows written, ${num(h.storageGb, 1)} GB stored → ` +
          Object.entries(h.lines)
            .map(([k, v]) => `${k} ${usd(v)}`)
            .join(", "),
        `- ${customers.toLocaleString("en-US")} customers, Socket.io: ${num(sio.publishesPerS, 1)} publishes/s, ${num(sio.cpuUsPerS / 1e6, 2)} cores of work (+${num(sio.redisCores, 2)} for Redis fan-in), ${num(sio.memKiB / 2 ** 20, 2)} GiB of sockets → ` +
          Object.entries(sio.lines)
            .map(([k, v]) => `${k} ${usd(v)}`)
            .join(", "),
      );
    }
    p(
      "## Cost model for production (per month)",
      "Prices (Workers Paid, as documented by Cloudflare): $5/month minimum; Workers 10 M requests included then $0.30/M, 30 M CPU-ms included then $0.02/M; Durable Objects 1 M requests included then $0.15/M (HTTP requests, RPC calls, alarms, and *incoming* WebSocket messages at 20:1; outgoing messages and protocol pings are free), duration 400,000 GB-s included then $12.50/M GB-s at 128 MB per active object (a hibernatable idle object bills no duration, and auto-responses such as our heartbeat-ack add no duration); SQLite rows written 50 M included then $1.00/M, storage 5 GB-month included then $0.20/GB-month.",
      "Assumptions (not measured here; change them in `bench/lib/cost-model.mjs`): " +
        `${a.socketsPerCustomer} socket per connected customer, connected around the clock; ${a.connectsPerSocketPerDay} (re)connections per socket per day (mobile networks, app resumes, hourly tokens); ` +
        `${a.eventsPerCustomerPerHour} events per customer per hour, each published to a room of ${a.socketsPerRoom} socket (personal and order rooms); heartbeats every ${a.heartbeatS} s, counted as billed incoming messages (whether an auto-responded heartbeat is billed is not stated; the second hub column leaves them out); ` +
        `${a.rowsWrittenPerPublish} SQLite rows written per publish (the event row, which also holds the idempotency key, and its later deletion; a \`notification\` adds its own row) and one per connection (the expiry alarm); ${num(a.historyBytesPerRoom / 1000, 0)} kB of history per room. ` +
        `Hub duration = measured workerd CPU of \`${NAMES[hubTarget]}\` per publish (fixed ${num(hubM.fixedUs / 1000, 2)} ms + ${num(hubM.perDeliveryUs, 1)} us per socket) and per connection (${num(hubM.workerUsPerConnect / 1000, 2)} ms), as wall time of an active object. ` +
        `Socket.io fleet: VMs of ${a.vm.vcpu} vCPU / ${a.vm.memGiB} GiB at ${usd(a.vm.usdPerMonth)}/month (assumed list price), one Node process per vCPU, sized to ${num(a.cpuHeadroom * 100, 0)}% CPU and ${num(a.memHeadroom * 100, 0)}% memory, at least ${a.minServers}; memory ${num(sioM.kibPerSocket, 1)} KiB per socket and ${num(sioM.baselineKiB / 1024, 0)} MiB per process (figure E), CPU ${num(sioM.fixedUs, 0)} us per publish + ${num(sioM.perDeliveryUs, 1)} us per delivery (A, C, D), ${num(sioM.idleUsPerSocketPerS, 3)} us per socket-second idle (E), ${num(sioM.usPerConnect / 1000, 2)} ms per connection (F); ` +
        `the Redis adapter makes every process see every publish (${a.redisFanInUsPerPublishPerProcess} us each, assumed); Redis ${usd(a.redisUsdPerMonth(10_000))}/month (small managed) at 10,000 and ${usd(a.redisUsdPerMonth(1_000_000))}/month (HA, larger) at 1,000,000; a load balancer with sticky sessions ${usd(a.loadBalancerUsdPerMonth)}/month. People to run the fleet are not priced.`,
      table(
        ["connected customers", "hub on Cloudflare", "hub, heartbeats not billed", "Socket.io fleet + Redis", "fleet"],
        rows,
      ),
      ...detail,
      `Unit prices behind the hub column (past the included amounts): a publish to a one-socket room costs one Worker request ($0.30/M), one Durable Object RPC ($0.15/M) and ${a.rowsWrittenPerPublish} SQLite rows written ($${num(a.rowsWrittenPerPublish * COST.cf.rowsWrittenPerM, 2)}/M), so $${num(COST.cf.workerRequestsPerM + COST.cf.doRequestsPerM + a.rowsWrittenPerPublish * COST.cf.rowsWrittenPerM, 2)} per million publishes, ${num((100 * a.rowsWrittenPerPublish * COST.cf.rowsWrittenPerM) / (COST.cf.workerRequestsPerM + COST.cf.doRequestsPerM + a.rowsWrittenPerPublish * COST.cf.rowsWrittenPerM), 0)}% of it storage writes; a socket's heartbeats cost $${num(((COST.month / a.heartbeatS / COST.cf.wsIncomingRatio) * COST.cf.doRequestsPerM) / 1e6, 5)} a month if billed; duration is negligible because objects are active only for the milliseconds of a publish. Batching rooms into one POST (up to 100 per call) removes most Worker requests but not the per-room RPC or the writes.`,
      "Reading: the hub's bill is driven by requests and SQLite writes (publishes and heartbeats), not by sockets or memory, because hibernated objects cost nothing while idle; at 1,000,000 customers the largest lines are the history writes and, if billed, heartbeats. Fewer rows per publish (history only where clients resume) and a longer heartbeat interval move the hub's bill most. The Socket.io fleet is sized mostly by the CPU its sockets' heartbeats and connections take (figure E and F), then memory; message CPU is small at these event rates. The fleet price leaves out operating it (deploys that drop every socket, zones, on-call).",
    );
  }
}
