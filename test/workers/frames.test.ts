import { describe, expect, it } from "vitest";
import { LIMITS } from "../../src/protocol";
import { broadcast, join, orderStatus, request, tokenFor, uniqueId, waitForClose, waitForFrames } from "./helpers";

async function kitchenSocket() {
  const room = `order-${uniqueId()}`;
  const token = await tokenFor(uniqueId(), ["kitchen"], "Kim");
  return { room, socket: await join(room, token) };
}

describe("client frames", () => {
  it("answers room:info through its ack with the socket's identity", async () => {
    const { room, socket } = await kitchenSocket();
    const answer = await request(socket, "room:info", undefined, 7);
    expect(answer).toEqual({
      event: "ack",
      ack: 7,
      data: { room, members: 1, you: { userId: expect.any(String), name: "Kim", roles: ["kitchen"] } },
    });
  });

  it.each([
    ["text that is not JSON", "hello", "invalid_frame"],
    ["JSON that is not an object", "[1,2,3]", "invalid_frame"],
    ["a frame without event", '{"data":1}', "invalid_frame"],
    ["an event of the wrong type", '{"event":42}', "invalid_frame"],
    ["an unknown event", '{"event":"drop-tables"}', "unknown_event"],
    ["an inherited name as event", '{"event":"__proto__"}', "unknown_event"],
    ["a constructor event", '{"event":"constructor"}', "unknown_event"],
    ["a wrong payload", '{"event":"room:info","data":{"x":1}}', "invalid_payload"],
    ["a negative ack", '{"event":"room:info","ack":-1}', "invalid_frame"],
    ["deep nesting", `{"event":"room:info","data":${"[".repeat(3000)}${"]".repeat(3000)}}`, "invalid_payload"],
    ["prototype pollution keys", '{"event":"room:info","__proto__":{"admin":true},"constructor":{"x":1}}', "ok"],
  ])("answers %s with an error frame, and the socket keeps working", async (_, raw, code) => {
    const { room, socket } = await kitchenSocket();
    socket.send(raw);
    if (code !== "ok") {
      const frames = await waitForFrames(socket, 2);
      expect(frames[1]).toEqual({ event: "error", data: { code, message: expect.any(String) } });
    }
    await broadcast([room], "order-status-updated", orderStatus("1"));
    const last = await waitForFrames(socket, code === "ok" ? 2 : 3);
    expect(last.at(-1)?.event).toBe("order-status-updated");
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it("carries the ack number on the error of a bad frame that had one", async () => {
    const { socket } = await kitchenSocket();
    socket.send({ event: "nope", ack: 3 });
    expect((await waitForFrames(socket, 2))[1]).toEqual({
      event: "error",
      ack: 3,
      data: { code: "unknown_event", message: expect.stringContaining("nope") },
    });
  });

  it("refuses binary frames", async () => {
    const { socket } = await kitchenSocket();
    socket.ws.send(new Uint8Array([1, 2, 3]));
    expect((await waitForFrames(socket, 2))[1]?.data).toMatchObject({ code: "binary_not_supported" });
  });

  it(`refuses frames over ${LIMITS.maxFrameBytes} bytes, counting UTF-8 bytes`, async () => {
    const { socket } = await kitchenSocket();
    // 6,000 three-byte characters: 18,000 bytes in fewer than 16,384 UTF-16 units.
    socket.send(JSON.stringify({ event: "room:info", data: "€".repeat(6000) }));
    expect((await waitForFrames(socket, 2))[1]?.data).toMatchObject({ code: "frame_too_large" });
  });

  it(`closes a socket that sends more than ${LIMITS.maxBadFrames} bad frames with 1008; the others keep receiving`, async () => {
    const { room, socket } = await kitchenSocket();
    const neighbour = await join(room, await tokenFor(uniqueId(), ["staff"]));
    for (let i = 0; i <= LIMITS.maxBadFrames; i++) socket.send("garbage");
    const closed = await waitForClose(socket);
    expect(closed.code).toBe(1008);
    expect(socket.frames.at(-1)?.data).toEqual({ code: 1008, reason: "too many bad frames" });
    expect(socket.frames.filter((frame) => frame.event === "error")).toHaveLength(LIMITS.maxBadFrames + 1);
    const res = await broadcast([room], "order-status-updated", orderStatus("1"));
    expect(await res.json()).toEqual({ delivered: { [room]: 1 } });
    expect((await waitForFrames(neighbour, 2))[1]?.event).toBe("order-status-updated");
  });

  it("tolerates a few bad frames without closing", async () => {
    const { socket } = await kitchenSocket();
    for (let i = 0; i < 3; i++) socket.send("garbage");
    await waitForFrames(socket, 4);
    const answer = await request(socket, "room:info", undefined, 1);
    // Had the garbage closed it, the closing frame would have come before this ack.
    expect(answer.event).toBe("ack");
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
  });
});
