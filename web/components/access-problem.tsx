import type { RoomcastError } from "../../client";
import { useConsole } from "../console-context";
import { describeIdentity, PRESET_LABELS, type PresetId } from "../identity";

const WHY: Record<string, string> = {
  forbidden: "the hub does not let this identity join it",
  access_revoked: "access was revoked",
  unauthorized: "the token was refused",
  invalid_room: "that is not a room name the hub knows",
};

/** Why a page's room is closed to this tab, and a way to become someone who may open it. */
export function AccessProblem(props: { room: string; error: RoomcastError; suggest?: PresetId }) {
  const { identity, switchTo } = useConsole();
  const { suggest } = props;
  return (
    <div className="notice notice--error" role="alert">
      <p>
        <strong>No access to {props.room}:</strong> {WHY[props.error.code] ?? props.error.message} (
        <code>{props.error.code}</code>). You are {describeIdentity(identity)}.
      </p>
      {suggest && identity.preset !== suggest && (
        <button type="button" onClick={() => switchTo(suggest)}>
          Switch to {PRESET_LABELS[suggest]}
        </button>
      )}
    </div>
  );
}
