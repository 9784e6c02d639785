import { type FormEvent, useEffect, useState } from "react";
import { useOrderUpdates } from "../../client/react";
import { AccessProblem } from "../components/access-problem";
import { MissedUpdates } from "../components/missed-updates";
import { RoomStatusLine } from "../components/room-status";
import { useConsole } from "../console-context";
import { grant, summarize } from "../dev-api";
import { formatTime, type StatusChange, statusLabel } from "../orders";
import { navigate } from "../router";

const STAFF_ROLES = ["admin", "staff", "kitchen"];
const STEPS = ["placed", "preparing", "ready", "served"] as const;

export function TrackerPage(props: { orderId: string | null }) {
  if (!props.orderId) return <ChooseOrder />;
  return <Tracker key={props.orderId} orderId={props.orderId} />;
}

function ChooseOrder() {
  const [value, setValue] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (value.trim()) navigate(`/order/${encodeURIComponent(value.trim())}`);
  };
  return (
    <div>
      <h1>Order tracker</h1>
      <form className="panel form" onSubmit={submit}>
        <label htmlFor="track-order">Order number</label>
        <input
          id="track-order"
          value={value}
          onChange={(event) => setValue(event.target.value)}
          pattern="[A-Za-z0-9_\-]{1,64}"
          inputMode="numeric"
          required
        />
        <button type="submit">Follow this order</button>
      </form>
    </div>
  );
}

type GrantState = { kind: "not-needed" } | { kind: "asking" } | { kind: "granted" } | { kind: "failed"; why: string };

/**
 * A customer may join `order-{id}` only when the restaurant's backend granted it. In development
 * the tracker asks the simulator relay for that grant first, as a real backend would on checkout.
 */
function useGrant(orderId: string): GrantState {
  const { identity } = useConsole();
  const isStaff = identity.roles.some((role) => STAFF_ROLES.includes(role));
  const [state, setState] = useState<GrantState>(isStaff ? { kind: "not-needed" } : { kind: "asking" });
  useEffect(() => {
    if (isStaff) return;
    let cancelled = false;
    grant(`order-${orderId}`, identity.sub).then(
      (answer) => {
        if (cancelled) return;
        setState(answer.ok ? { kind: "granted" } : { kind: "failed", why: `${answer.status} ${summarize(answer)}` });
      },
      (error: unknown) => {
        if (!cancelled) setState({ kind: "failed", why: error instanceof Error ? error.message : String(error) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [isStaff, orderId, identity.sub]);
  return state;
}

function Tracker({ orderId }: { orderId: string }) {
  const access = useGrant(orderId);
  const ready = access.kind === "granted" || access.kind === "not-needed";
  const [history, setHistory] = useState<StatusChange[]>([]);
  const [gapAt, setGapAt] = useState<number | null>(null);
  const status = useOrderUpdates(
    ready ? orderId : null,
    (update) => {
      const parsed = update.updatedAt ? Date.parse(update.updatedAt) : Number.NaN;
      const at = Number.isFinite(parsed) ? parsed : Date.now();
      setHistory((current) =>
        current[current.length - 1]?.status === update.status ? current : [...current, { status: update.status, at }],
      );
    },
    { onRecoveryFailed: () => setGapAt(Date.now()) },
  );
  const room = `order-${orderId}`;
  const current = history[history.length - 1];
  const reached = new Set(history.map((change) => change.status));
  const cancelled = current?.status === "cancelled";

  return (
    <div className="tracker">
      <div className="page-head">
        <h1>Order #{orderId}</h1>
        <RoomStatusLine room={ready ? room : null} status={status} label="Updates from" />
      </div>
      {access.kind === "asking" && <p className="notice">Asking the backend simulator for access to this order…</p>}
      {access.kind === "failed" && (
        <p className="notice notice--error" role="alert">
          Could not get access to {room}: {access.why}
        </p>
      )}
      {status.error && <AccessProblem room={room} error={status.error} suggest="kitchen" />}
      {gapAt !== null && <MissedUpdates at={gapAt} onDismiss={() => setGapAt(null)} />}

      <section className="panel" aria-labelledby="current-status-heading">
        <h2 id="current-status-heading">Current status</h2>
        <p
          className={current ? "big-status" : "big-status big-status--none"}
          aria-live="polite"
          data-testid="current-status"
        >
          {current ? statusLabel(current.status) : "Not known yet: waiting for the next update"}
        </p>
        {current && (
          <p className="muted">
            since <time dateTime={new Date(current.at).toISOString()}>{formatTime(current.at)}</time>
          </p>
        )}
        <ol className="steps" aria-label="Progress">
          {STEPS.map((step) => {
            const state = current?.status === step ? "now" : reached.has(step) ? "done" : "upcoming";
            return (
              <li key={step} className={`step step--${state}`}>
                <span aria-hidden="true">{state === "done" ? "✓" : state === "now" ? "▶" : "○"}</span>{" "}
                {statusLabel(step)} <span className="step-state">({state === "now" ? "current" : state})</span>
              </li>
            );
          })}
          {cancelled && (
            <li className="step step--cancelled">
              <span aria-hidden="true">✕</span> Cancelled <span className="step-state">(current)</span>
            </li>
          )}
        </ol>
      </section>

      <section className="panel" aria-labelledby="timeline-heading">
        <h2 id="timeline-heading">Timeline</h2>
        {history.length === 0 ? (
          <p className="muted">
            Nothing yet. Change this order's status from the <a href="#/simulator">simulator</a>; updates sent before
            this page opened are not shown.
          </p>
        ) : (
          <ol className="timeline" aria-label="Status history">
            {history.map((change, index) => (
              <li
                key={`${change.status}-${change.at}`}
                aria-current={index === history.length - 1 ? "step" : undefined}
              >
                <time dateTime={new Date(change.at).toISOString()}>{formatTime(change.at)}</time>{" "}
                <strong>{statusLabel(change.status)}</strong>
              </li>
            ))}
          </ol>
        )}
      </section>
    </div>
  );
}
