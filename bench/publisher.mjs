/**
 * The open-loop publisher: POSTs broadcasts at a fixed rate whatever the server answers, so that
 * a slow server shows up as latency and loss instead of slowing the load down (no coordinated
 * omission). Each event is stamped with the time it was due, `process.hrtime.bigint()` (monotonic
 * and shared by every process of the machine), inside `data.orderId` as `<tag>_<ns>_<seq>`: the
 * payload schemas are strict and `orderId` is the free string field.
 *
 * Driven over IPC by the orchestrator: `{ type: "run", url, secret, rate, durationMs, tag, rooms }`
 * answers, once every request has been answered or has timed out, with what was accepted.
 */
import http from "node:http";

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

function post(url, secret, body, timeoutMs) {
  return new Promise((resolve) => {
    const req = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: {
          Authorization: `Bearer ${secret}`,
          "Content-Type": "application/json",
          "Content-Length": Buffer.byteLength(body),
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", (error) => resolve({ status: 0, body: String(error) }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (error) => resolve({ status: 0, body: String(error.message ?? error) }));
    req.end(body);
  });
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

async function run(msg) {
  const { url, secret, rate, durationMs, tag, rooms, event = "order-status-updated" } = msg;
  const total = Math.max(1, Math.round((rate * durationMs) / 1000));
  const periodNs = BigInt(Math.round(1e9 / rate));
  // 5 ms from now, or at `startAtNs` (process.hrtime.bigint() is the machine's monotonic clock, the
  // same in every process: paired.mjs sets two publishers half a period apart).
  const t0 = msg.startAtNs ? BigInt(msg.startAtNs) : process.hrtime.bigint() + 5_000_000n;
  const pending = [];
  /** seq -> room index, for the events the server accepted. */
  const accepted = {};
  const errors = {};
  let maxLagUs = 0;
  let sumLatencyUs = 0;
  for (let seq = 0; seq < total; seq++) {
    const due = t0 + BigInt(seq) * periodNs;
    let now = process.hrtime.bigint();
    if (due > now) {
      await sleep(Number((due - now) / 1_000_000n));
      now = process.hrtime.bigint();
      // setTimeout wakes at 1 ms granularity: spin out the last part of it.
      while (now < due) now = process.hrtime.bigint();
    }
    maxLagUs = Math.max(maxLagUs, Number((now - due) / 1000n));
    const roomIndex = seq % rooms.length;
    // An idempotency id on every publish, as the client library's publisher always sends one.
    const body = JSON.stringify({
      id: `${tag}-${seq}`,
      rooms: [rooms[roomIndex]],
      event,
      data: { orderId: `${tag}_${due}_${seq}`, status: "ready" },
    });
    const sentAt = process.hrtime.bigint();
    pending.push(
      post(url, secret, body, msg.timeoutMs ?? 30_000).then((res) => {
        sumLatencyUs += Number((process.hrtime.bigint() - sentAt) / 1000n);
        if (res.status === 200) accepted[seq] = roomIndex;
        else {
          const key = `${res.status} ${res.body.slice(0, 120)}`;
          errors[key] = (errors[key] ?? 0) + 1;
        }
      }),
    );
  }
  const lastDue = t0 + BigInt(total - 1) * periodNs;
  await Promise.all(pending);
  return {
    tag,
    total,
    accepted,
    ok: Object.keys(accepted).length,
    errors,
    maxLagUs,
    meanResponseUs: sumLatencyUs / total,
    firstDueNs: String(t0),
    lastDueNs: String(lastDue),
    doneNs: String(process.hrtime.bigint()),
  };
}

process.on("message", async (msg) => {
  try {
    if (msg.type !== "run") throw new Error(`unknown command ${msg.type}`);
    process.send({ id: msg.id, ok: true, result: await run(msg) });
  } catch (error) {
    process.send({ id: msg.id, ok: false, error: String(error?.stack ?? error) });
  }
});
process.on("disconnect", () => process.exit(0));
process.send({ ready: true });
