import { useSyncExternalStore } from "react";
import type { ConnectionTracker, ConnectionView } from "../connection";
import { useNow } from "./use-now";

const ICONS: Record<ConnectionView["phase"], string> = {
  connecting: "…",
  connected: "●",
  reconnecting: "↻",
  offline: "✕",
};

const TITLES: Record<ConnectionView["phase"], string> = {
  connecting: "Connecting",
  connected: "Connected",
  reconnecting: "Reconnecting",
  offline: "Offline",
};

/**
 * The tab's connection, in words (the colour only repeats them). Screen readers hear the state
 * when it changes; the countdown is for the eyes, so it does not make them speak every second.
 */
export function ConnectionBanner(props: { tracker: ConnectionTracker; who: string }) {
  const view = useSyncExternalStore(props.tracker.subscribe, props.tracker.getView);
  const counting = view.phase === "reconnecting" && view.retryBy !== null;
  const now = useNow(250, counting);
  const seconds = counting && view.retryBy !== null ? Math.ceil((view.retryBy - now) / 1000) : 0;
  let countdown: string | null = null;
  if (view.phase === "reconnecting") {
    countdown =
      seconds > 0
        ? `next try within ${seconds} s`
        : `trying now${view.attempt > 0 ? ` (attempt ${view.attempt})` : ""}`;
  }
  return (
    <div
      className={`banner banner--${view.phase}`}
      role="status"
      aria-live="polite"
      data-phase={view.phase}
      data-testid="connection"
    >
      <span className="banner-icon" aria-hidden="true">
        {ICONS[view.phase]}
      </span>
      <strong className="banner-state">{TITLES[view.phase]}</strong>
      {countdown && (
        <span className="banner-countdown" aria-hidden="true">
          · {countdown}
        </span>
      )}
      {view.phase === "reconnecting" && <span className="sr-only">, retrying on its own</span>}
      {view.phase === "connected" ? (
        <span className="banner-detail">as {props.who}</span>
      ) : (
        view.detail && <span className="banner-detail">({view.detail})</span>
      )}
    </div>
  );
}
