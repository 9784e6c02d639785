/**
 * Several of a room's event frames as one WebSocket message: `{"event":"batch","room","data":[frames]}`,
 * the frames as they are (they were serialized once, for the history and every socket).
 */

/** One message for `frames`: the frame itself when there is one, else a batch frame. */
export function batchFrame(room: string, frames: readonly string[]): string {
  return frames.length === 1
    ? (frames[0] as string)
    : `{"event":"batch","room":${JSON.stringify(room)},"data":[${frames.join(",")}]}`;
}

/** `frames` in order as few messages of about `maxUnits` UTF-16 units each (a bigger frame goes alone). */
export function packFrames(room: string, frames: readonly string[], maxUnits: number): string[] {
  const messages: string[] = [];
  let batch: string[] = [];
  let units = 0;
  for (const frame of frames) {
    if (batch.length > 0 && units + frame.length > maxUnits) {
      messages.push(batchFrame(room, batch));
      batch = [];
      units = 0;
    }
    batch.push(frame);
    units += frame.length;
  }
  if (batch.length > 0) messages.push(batchFrame(room, batch));
  return messages;
}
