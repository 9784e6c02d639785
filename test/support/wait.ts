/**
 * Waiting for a condition, never for a time: the one polling loop of every test suite (Workers
 * runtime, end to end, client, browser). It gives up only after a generous bound, with what it
 * waited for in the message.
 */

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs = 5_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Something that records the frames it received, in order. */
export interface FrameRecorder<F> {
  frames: F[];
}

/** Waits until `socket` has received at least `count` frames; returns them all. */
export async function waitForFrames<F>(socket: FrameRecorder<F>, count: number, timeoutMs = 5_000): Promise<F[]> {
  try {
    await waitUntil(() => socket.frames.length >= count, timeoutMs, `${count} frames`);
  } catch {
    throw new Error(`expected ${count} frames within ${timeoutMs} ms, got ${JSON.stringify(socket.frames)}`);
  }
  return socket.frames;
}
