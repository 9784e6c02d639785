/**
 * Waiting for a load client's sockets to have received what a publish step sent (run.mjs and
 * paired.mjs): a condition, polled, with a bound.
 */

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/**
 * Polls `client` (load-client.mjs) until `expected` frames of `tag` arrived or `drainMs` passed;
 * resolves with how many arrived.
 */
export async function waitForDeliveries(client, tag, expected, drainMs) {
  const deadline = Date.now() + drainMs;
  let received = 0;
  while (Date.now() < deadline) {
    received = (await client.call("counts")).received[tag] ?? 0;
    if (received >= expected) break;
    await sleep(50);
  }
  return received;
}
