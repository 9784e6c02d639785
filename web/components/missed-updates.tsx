import { formatTime } from "../orders";

/**
 * A room rejoined but the hub could not replay what it sent meanwhile (`recovery_failed`): the
 * page may be missing updates. A real app would refetch from its backend here; the console says so.
 */
export function MissedUpdates(props: { at: number; onDismiss: () => void }) {
  return (
    <div className="notice notice--error" role="alert">
      <p>
        Reconnected at {formatTime(props.at)}, but the hub could not replay what was sent while this page was away: some
        updates may be missing. Reload the page to start over.
      </p>
      <button type="button" onClick={props.onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
