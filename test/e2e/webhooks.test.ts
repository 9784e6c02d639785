/**
 * Webhooks against a real `wrangler dev` and a local receiver: signed deliveries of room
 * occupancy, granted members and customers' chat messages, retried after a 500 with the same id
 * and body, and never holding up a join while the backend is slow.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Hub, startHub } from "../support/hub-process";
import { e2eToken, internal, openClient, waitForFrames } from "./helpers";

const SECRET = "e2e-webhook-secret-0123456789abcdef0123456789";

interface Delivery {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  parsed: { id: string; type: string; room: string; createdAt: string; data: Record<string, unknown> };
  status: number;
}

/** The receiver's check, as README shows it. */
function verified(delivery: Delivery): boolean {
  const expected = createHmac("sha256", SECRET)
    .update(`${delivery.id}.${delivery.timestamp}.${delivery.body}`)
    .digest("hex");
  const given = /(?:^|,)v1=([0-9a-f]+)/.exec(delivery.signature)?.[1] ?? "";
  const [a, b] = [Buffer.from(expected), Buffer.from(given)];
  return a.length === b.length && timingSafeEqual(a, b) && delivery.signature.includes(`t=${delivery.timestamp}`);
}

describe("webhooks", () => {
  let hub: Hub;
  let receiver: Server;
  const deliveries: Delivery[] = [];
  /** The next request is held until the test answers it (see holdNext). */
  let hold: { arrived: () => void; answer: (respond: (status: number) => void) => void } | null = null;

  beforeAll(async () => {
    receiver = createServer((request: IncomingMessage, response: ServerResponse) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        const delivery: Delivery = {
          id: String(request.headers["roomcast-webhook-id"]),
          timestamp: String(request.headers["roomcast-timestamp"]),
          signature: String(request.headers["roomcast-signature"]),
          body,
          parsed: JSON.parse(body),
          status: 200,
        };
        deliveries.push(delivery);
        const held = hold;
        hold = null;
        if (!held) {
          response.writeHead(200).end();
          return;
        }
        held.answer((status) => {
          delivery.status = status;
          response.writeHead(status).end();
        });
        held.arrived();
      });
    });
    await new Promise<void>((done) => receiver.listen(0, "127.0.0.1", done));
    const { port } = receiver.address() as AddressInfo;
    hub = await startHub({ vars: { WEBHOOK_URL: `http://127.0.0.1:${port}/hooks`, WEBHOOK_SECRET: SECRET } });
  });
  afterAll(async () => {
    await hub?.stop();
    await new Promise<void>((done) => receiver.close(() => done()));
  });

  /** Holds the next delivery until the test releases it with a status. */
  function holdNext(): { arrived: Promise<void>; release: (status: number) => void } {
    let respond: (status: number) => void = () => {};
    let arrived: () => void = () => {};
    const arrival = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    hold = {
      arrived,
      answer: (answer) => {
        respond = answer;
      },
    };
    return { arrived: arrival, release: (status) => respond(status) };
  }

  async function waitForDelivery(
    check: (delivery: Delivery) => boolean,
    what: string,
    timeoutMs = 20_000,
  ): Promise<Delivery> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = deliveries.find(check);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`no ${what} webhook; got ${JSON.stringify(deliveries.map((d) => d.parsed))}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it("signs every delivery, retries a 500 with the same id and body, and never holds up a join", async () => {
    const order = `order-${crypto.randomUUID()}`;
    const customer = `c-${crypto.randomUUID().slice(0, 8)}`;
    expect((await internal(hub, `/rooms/${order}/members/${customer}`, "PUT")).status).toBe(200);

    // The room's first socket: room.occupied, held at the receiver.
    const held = holdNext();
    const staff = openClient(hub, order, await e2eToken("staff-1", ["staff"]));
    await staff.opened;
    await held.arrived;
    const occupied = deliveries.at(-1) as Delivery;
    expect(occupied.parsed).toMatchObject({ type: "room.occupied", room: order });

    // While the backend has not answered, a granted customer joins and gets their joined frame.
    const tab = openClient(hub, order, await e2eToken(customer));
    await tab.opened;
    expect((await waitForFrames(tab, 1))[0]).toMatchObject({ event: "joined" });

    // The backend fails that delivery: it comes again, same id and body, and is accepted.
    held.release(500);
    const retried = await waitForDelivery((d) => d.id === occupied.id && d !== occupied, "retried room.occupied");
    expect(retried.body).toBe(occupied.body);
    expect(retried.status).toBe(200);
    const joined = await waitForDelivery(
      (d) => d.parsed.type === "member.joined" && d.parsed.room === order,
      "member.joined",
    );
    expect(joined.parsed.data).toEqual({ userId: customer });

    // A customer's support message reaches the backend with the stored message.
    const support = openClient(hub, `support-${customer}`, await e2eToken(customer));
    await support.opened;
    support.ws.send(
      JSON.stringify({ event: "chat:message", data: { text: "Towels, please", clientMessageId: "m1" }, ack: 1 }),
    );
    const chat = await waitForDelivery((d) => d.parsed.type === "chat.message", "chat.message");
    expect(chat.parsed).toMatchObject({ room: `support-${customer}`, data: { message: { text: "Towels, please" } } });

    // The member leaves, then the room empties.
    tab.ws.close(1000);
    await waitForDelivery((d) => d.parsed.type === "member.left" && d.parsed.room === order, "member.left");
    staff.ws.close(1000);
    const vacated = await waitForDelivery(
      (d) => d.parsed.type === "room.vacated" && d.parsed.room === order,
      "room.vacated",
    );
    expect(vacated.parsed.data).toEqual({ reason: "closed" });
    support.ws.close(1000);

    for (const delivery of deliveries) expect(verified(delivery), delivery.body).toBe(true);
    // Ids are unique per event and stable per delivery: only the retried one repeats.
    const repeated = deliveries.filter((d) => deliveries.filter((other) => other.id === d.id).length > 1);
    expect(new Set(repeated.map((d) => d.id))).toEqual(new Set([occupied.id]));
  }, 60_000);
});
