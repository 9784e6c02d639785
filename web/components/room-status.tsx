import type { RoomStatus } from "../../client/react";

/** One line about a page's room: joined, joining, or refused and why. */
export function RoomStatusLine(props: { room: string | null; status: RoomStatus; label?: string }) {
  const { room, status } = props;
  if (!room) return null;
  let state = "joining…";
  let kind = "pending";
  if (status.joined) {
    state = "live";
    kind = "live";
  } else if (status.error) {
    state = `not available (${status.error.code})`;
    kind = "error";
  }
  return (
    <p className={`room-status room-status--${kind}`} data-room-state={kind}>
      <span aria-hidden="true">{kind === "live" ? "● " : kind === "error" ? "✕ " : "… "}</span>
      {props.label ?? "Room"} <code>{room}</code>: {state}
    </p>
  );
}
