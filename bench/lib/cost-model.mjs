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
  /**
   * What one connected customer costs, by usage profile (retune them here). A profile says, per
   * customer and month: the time their sockets are connected, how often they connect, the
   * broadcasts backends make for them, the rooms and sockets each reaches and the SQLite rows it
   * writes; and the always-on sockets (kitchen displays, staff) that come with every 1,000 customers.
   */
  profiles: {
    heavy: {
      label: "heavy: always connected",
      description:
        "every customer holds one socket around the clock, reconnects 24 times a day, and gets 6 events an hour in a one-socket room (personal or order room)",
      socketsPerCustomer: 1,
      connectsPerCustomerPerMonth: 24 * 30,
      broadcastsPerCustomerPerMonth: 6 * 24 * 30,
      roomPublishesPerBroadcast: 1,
      socketsPerRoomPublish: 1,
      /** One row per room publish: the event's slot in the ring (the idempotency key on it). */
      rowsPerRoomPublish: 1,
      alwaysOnPer1000: 0,
      historyBytesPerCustomer: 1_000 * 250,
    },
    restaurant: {
      label: "restaurant: connected while the app is open",
      description:
        "a customer has the app open 10 minutes a day (2 opens, each joining the personal room and, while an order runs, its order room), places 4 orders a month: each a new-order to the kitchen and 6 status events to the order room and the kitchen (the customer watches half of them), and gets 5 notifications a month (2 rows each: the event and its unread copy); every 1,000 customers come with a venue of 4 kitchen displays and 6 staff tablets, connected around the clock and reconnecting 24 times a day",
      socketsPerCustomer: 10 / (24 * 60),
      connectsPerCustomerPerMonth: 2 * 30 * 2,
      // 4 new-orders + 24 status updates + 5 notifications
      broadcastsPerCustomerPerMonth: 4 + 24 + 5,
      // status updates name two rooms (order, kitchen)
      roomPublishesPerBroadcast: (4 + 24 * 2 + 5) / (4 + 24 + 5),
      // kitchen room publishes reach the venue's 10 sockets; order-room ones the customer half the time
      socketsPerRoomPublish: (4 * 10 + 24 * (10 + 0.5) + 5 * 0.1) / (4 + 24 * 2 + 5),
      rowsPerRoomPublish: (4 + 24 * 2 + 5 * 2) / (4 + 24 * 2 + 5),
      alwaysOnPer1000: 10,
      // 4 order rooms a month of about 7 events of 300 bytes, deleted 30 days after their last
      // event; a personal room with a few unread notifications
      historyBytesPerCustomer: 4 * 7 * 300 + 5 * 400,
    },
  },
  assumed: {
    heartbeatS: 30,
    /** Reconnections per always-on socket per day (networks, deploys, hourly tokens). */
    alwaysOnConnectsPerDay: 24,
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

/** What a profile means for `customers` customers in a month: sockets, connections, publishes. */
function usage(profile, customers) {
  const alwaysOn = (customers / 1000) * profile.alwaysOnPer1000;
  const sockets = customers * profile.socketsPerCustomer + alwaysOn;
  const connects =
    customers * profile.connectsPerCustomerPerMonth + alwaysOn * COST.assumed.alwaysOnConnectsPerDay * 30;
  const broadcasts = customers * profile.broadcastsPerCustomerPerMonth;
  const roomPublishes = broadcasts * profile.roomPublishesPerBroadcast;
  return { alwaysOn, sockets, connects, broadcasts, roomPublishes };
}

export function hubCost(profile, customers, m) {
  const a = COST.assumed;
  const cf = COST.cf;
  const { sockets, connects, broadcasts, roomPublishes } = usage(profile, customers);
  const heartbeats = (sockets * COST.month) / a.heartbeatS;
  const workerRequests = connects + broadcasts;
  const workerCpuMs = (connects * (m.workerUsPerConnect ?? 1000)) / 1000 + (broadcasts * 300) / 1000;
  const doRequestsNoHeartbeat = connects * 2 /* upgrade + expiry alarm */ + roomPublishes;
  const doRequests = doRequestsNoHeartbeat + heartbeats / cf.wsIncomingRatio;
  const activeSeconds =
    (roomPublishes * (m.fixedUs + m.perDeliveryUs * profile.socketsPerRoomPublish)) / 1e6 +
    (connects * (m.workerUsPerConnect ?? 1000)) / 1e6;
  const gbs = activeSeconds * 0.128;
  const rowsWritten = roomPublishes * profile.rowsPerRoomPublish + connects; // + setAlarm per connection
  const storageGb = (customers * profile.historyBytesPerCustomer) / 1e9;
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
  return {
    sockets,
    connects,
    heartbeats,
    broadcasts,
    roomPublishes,
    doRequests,
    gbs,
    rowsWritten,
    storageGb,
    lines,
    total,
  };
}

export function socketIoCost(profile, customers, m) {
  const a = COST.assumed;
  const { sockets, connects, roomPublishes } = usage(profile, customers);
  const publishesPerS = roomPublishes / COST.month;
  const connectsPerS = connects / COST.month;
  const cpuUsPerS =
    publishesPerS * (m.fixedUs + m.perDeliveryUs * profile.socketsPerRoomPublish) +
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
    for (const profile of Object.values(COST.profiles)) {
      for (const customers of [10_000, 1_000_000]) {
        const h = hubCost(profile, customers, hubM);
        const sio = socketIoCost(profile, customers, sioM);
        rows.push([
          profile.label,
          customers.toLocaleString("en-US"),
          usd(h.total),
          usd(h.total - h.lines.heartbeats),
          usd(sio.total),
          `${sio.vms} x ${a.vm.vcpu} vCPU/${a.vm.memGiB} GiB (${num(sio.coresForCpu + sio.redisCores, 1)} vCPU at ${num(a.cpuHeadroom * 100, 0)}% load, ${num(sio.memKiB / 2 ** 20, 1)} GiB of sockets)`,
        ]);
        detail.push(
          `- ${profile.label}, ${customers.toLocaleString("en-US")} customers, hub: ${num(h.sockets / 1e3, 1)} k sockets at a time, ${num(h.connects / 1e6, 2)} M connections, ${num(h.broadcasts / 1e6, 2)} M broadcasts to ${num(h.roomPublishes / 1e6, 2)} M rooms, ${num(h.heartbeats / 1e6, 0)} M heartbeats, ${num(h.gbs / 1e3, 1)} k GB-s, ${num(h.rowsWritten / 1e6, 2)} M rows written, ${num(h.storageGb, 2)} GB stored → ` +
            Object.entries(h.lines)
              .map(([k, v]) => `${k} ${usd(v)}`)
              .join(", "),
          `- ${profile.label}, ${customers.toLocaleString("en-US")} customers, Socket.io: ${num(sio.publishesPerS, 2)} room publishes/s, ${num(sio.cpuUsPerS / 1e6, 2)} cores of work (+${num(sio.redisCores, 2)} for Redis fan-in), ${num(sio.memKiB / 2 ** 20, 2)} GiB of sockets → ` +
            Object.entries(sio.lines)
              .map(([k, v]) => `${k} ${usd(v)}`)
              .join(", "),
        );
      }
    }
    const profileRows = Object.values(COST.profiles).map((profile) => [
      profile.label,
      num(profile.socketsPerCustomer * 24 * 60, 0),
      num(profile.connectsPerCustomerPerMonth, 0),
      num(profile.broadcastsPerCustomerPerMonth, 0),
      num(profile.roomPublishesPerBroadcast, 2),
      num(profile.socketsPerRoomPublish, 2),
      num(profile.rowsPerRoomPublish, 2),
      num(profile.alwaysOnPer1000, 0),
      num(profile.historyBytesPerCustomer / 1000, 1),
    ]);
    const rowsPerMillion = (profile) =>
      COST.cf.workerRequestsPerM / profile.roomPublishesPerBroadcast +
      COST.cf.doRequestsPerM +
      profile.rowsPerRoomPublish * COST.cf.rowsWrittenPerM;
    p(
      "## Cost model for production (per month)",
      "Prices (Workers Paid, as documented by Cloudflare): $5/month minimum; Workers 10 M requests included then $0.30/M, 30 M CPU-ms included then $0.02/M; Durable Objects 1 M requests included then $0.15/M (HTTP requests, RPC calls, alarms, and *incoming* WebSocket messages at 20:1; outgoing messages and protocol pings are free), duration 400,000 GB-s included then $12.50/M GB-s at 128 MB per active object (a hibernatable idle object bills no duration, and auto-responses such as our heartbeat-ack add no duration); SQLite rows written 50 M included then $1.00/M, storage 5 GB-month included then $0.20/GB-month.",
      "Usage profiles (assumptions, not measurements; change them in `bench/lib/cost-model.mjs`), per customer and month:",
      table(
        [
          "profile",
          "minutes connected a day",
          "connections",
          "broadcasts",
          "rooms per broadcast",
          "sockets per room publish",
          "rows written per room publish",
          "always-on sockets per 1,000 customers",
          "history kept, kB",
        ],
        profileRows,
      ),
      ...Object.values(COST.profiles).map((profile) => `- ${profile.label}: ${profile.description}.`),
      "Rows written per room publish: one, the event's slot in the history's ring, which also holds its idempotency key (before the ring there were about two: the insert, and its later deletion by a trim); a notification adds its unread copy; each connection adds one (the expiry alarm). " +
        `Common assumptions: heartbeats every ${a.heartbeatS} s on every connected socket, counted as billed incoming messages (whether an auto-responded heartbeat is billed is not stated; the "heartbeats not billed" column leaves them out). ` +
        `Hub duration = measured workerd CPU of \`${NAMES[hubTarget]}\` per room publish (fixed ${num(hubM.fixedUs / 1000, 2)} ms + ${num(hubM.perDeliveryUs, 1)} us per socket) and per connection (${num(hubM.workerUsPerConnect / 1000, 2)} ms), as wall time of an active object. ` +
        `Socket.io fleet: VMs of ${a.vm.vcpu} vCPU / ${a.vm.memGiB} GiB at ${usd(a.vm.usdPerMonth)}/month (assumed list price), one Node process per vCPU, sized to ${num(a.cpuHeadroom * 100, 0)}% CPU and ${num(a.memHeadroom * 100, 0)}% memory, at least ${a.minServers}; memory ${num(sioM.kibPerSocket, 1)} KiB per socket and ${num(sioM.baselineKiB / 1024, 0)} MiB per process (figure E), CPU ${num(sioM.fixedUs, 0)} us per publish + ${num(sioM.perDeliveryUs, 1)} us per delivery (A, C, D), ${num(sioM.idleUsPerSocketPerS, 3)} us per socket-second idle (E), ${num(sioM.usPerConnect / 1000, 2)} ms per connection (F); ` +
        `the Redis adapter makes every process see every publish (${a.redisFanInUsPerPublishPerProcess} us each, assumed); Redis ${usd(a.redisUsdPerMonth(10_000))}/month (small managed) at 10,000 and ${usd(a.redisUsdPerMonth(1_000_000))}/month (HA, larger) at 1,000,000; a load balancer with sticky sessions ${usd(a.loadBalancerUsdPerMonth)}/month. People to run the fleet are not priced.`,
      table(
        ["profile", "customers", "hub on Cloudflare", "hub, heartbeats not billed", "Socket.io fleet + Redis", "fleet"],
        rows,
      ),
      ...detail,
      `Unit prices behind the hub column (past the included amounts): a broadcast costs one Worker request ($0.30/M) and, per room it names, one Durable Object RPC ($0.15/M) and its rows written ($1.00/M each): per million room publishes about ${Object.values(
        COST.profiles,
      )
        .map((profile) => `$${num(rowsPerMillion(profile), 2)} (${profile.label.split(":")[0]})`)
        .join(
          " and ",
        )}; a connected socket's heartbeats cost $${num(((COST.month / a.heartbeatS / COST.cf.wsIncomingRatio) * COST.cf.doRequestsPerM) / 1e6, 5)} a month if billed; duration is negligible because objects are active only for the milliseconds of a publish.`,
      "Reading: the hub's bill follows requests and rows written (publishes, connections and, if billed, heartbeats), not sockets or memory, because hibernated objects cost nothing while idle; in the restaurant profile customers are connected minutes a day, so their sockets cost little on either side, and what is left is a few dozen publishes per customer a month. The Socket.io fleet is sized by the CPU and memory of the sockets it holds at once (figures E and F), so it is cheapest exactly when few are connected, and never below its minimum of servers, Redis and a load balancer; operating it (deploys that drop every socket, zones, on-call) is not priced.",
    );
  }
}
