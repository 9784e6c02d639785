import { type FormEvent, useCallback, useEffect, useState } from "react";
import { ID_PATTERN } from "../../src/id-pattern.mjs";
import { broadcast, grant, type HubAnswer, summarize } from "../dev-api";
import { formatTime, parseItems, STATUSES, statusLabel } from "../orders";

const PLACED_KEY = "roomcast-console:placed-orders";

interface PlacedOrder {
  orderId: string;
  customerName: string;
  customerId: string;
  status: string;
}

function suggestOrderId(): string {
  return String(1000 + Math.floor(Math.random() * 9000));
}

function loadPlaced(): PlacedOrder[] {
  try {
    const value = JSON.parse(sessionStorage.getItem(PLACED_KEY) ?? "[]");
    return Array.isArray(value) ? (value as PlacedOrder[]) : [];
  } catch {
    return [];
  }
}

/** Numeric ids go out as numbers, as a typical backend would send them. */
function orderIdValue(orderId: string): string | number {
  return /^\d{1,15}$/.test(orderId) ? Number(orderId) : orderId;
}

/**
 * Plays the restaurant's backend: places orders, moves them through their statuses and notifies
 * users, all through the internal broadcast API (relayed by `/dev/internal`), and shows what the
 * hub answered.
 */
export function SimulatorPage() {
  const [answers, setAnswers] = useState<HubAnswer[]>([]);
  const [placed, setPlaced] = useState<PlacedOrder[]>(loadPlaced);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    try {
      sessionStorage.setItem(PLACED_KEY, JSON.stringify(placed));
    } catch {
      // Without storage the list lasts as long as the page.
    }
  }, [placed]);

  const record = useCallback((answer: HubAnswer) => setAnswers((current) => [answer, ...current].slice(0, 30)), []);

  /** Runs calls one after another, logging each; stops at the first failure. */
  const run = useCallback(
    async (calls: (() => Promise<HubAnswer>)[]): Promise<boolean> => {
      setBusy(true);
      try {
        for (const call of calls) {
          let answer: HubAnswer;
          try {
            answer = await call();
          } catch (error) {
            answer = {
              method: "?",
              path: "(network)",
              status: 0,
              ok: false,
              body: {
                error: { code: "network_error", message: error instanceof Error ? error.message : String(error) },
              },
              at: Date.now(),
            };
          }
          record(answer);
          if (!answer.ok) return false;
        }
        return true;
      } finally {
        setBusy(false);
      }
    },
    [record],
  );

  const changeStatus = useCallback(
    async (orderId: string, status: string) => {
      const ok = await run([
        () =>
          broadcast([`order-${orderId}`, "restaurant-kitchen"], "order-status-updated", {
            orderId: orderIdValue(orderId),
            status,
            updatedAt: new Date().toISOString(),
          }),
      ]);
      if (ok)
        setPlaced((current) => current.map((order) => (order.orderId === orderId ? { ...order, status } : order)));
    },
    [run],
  );

  return (
    <div className="simulator">
      <h1>Backend simulator</h1>
      <p className="muted">
        These calls go to <code>/dev/internal/*</code>, which the hub (in development only) relays to its internal API
        with the server's <code>BROADCAST_SECRET</code>: the browser never holds the secret.
      </p>
      <div className="simulator-grid">
        <PlaceOrder
          busy={busy}
          onPlace={async (order, items, grantCustomer) => {
            const calls = [];
            if (grantCustomer) calls.push(() => grant(`order-${order.orderId}`, order.customerId));
            const createdAt = new Date().toISOString();
            calls.push(() =>
              broadcast(["restaurant-kitchen"], "new-order", {
                orderId: orderIdValue(order.orderId),
                customerName: order.customerName,
                items,
                createdAt,
              }),
            );
            calls.push(() =>
              broadcast([`order-${order.orderId}`], "order-status-updated", {
                orderId: orderIdValue(order.orderId),
                status: "placed",
                updatedAt: createdAt,
              }),
            );
            const ok = await run(calls);
            if (ok) setPlaced((current) => [order, ...current.filter((other) => other.orderId !== order.orderId)]);
            return ok;
          }}
        />
        <PlacedOrders orders={placed} busy={busy} onStatus={changeStatus} />
        <ChangeStatus busy={busy} onStatus={changeStatus} />
        <SendNotification
          busy={busy}
          onSend={(userId, notification) => run([() => broadcast([`user-${userId}`], "notification", notification)])}
        />
      </div>
      <section className="panel" aria-labelledby="answers-heading">
        <h2 id="answers-heading">Hub answers</h2>
        <ol className="answers" role="log" aria-live="polite" aria-label="Hub answers, newest first">
          {answers.length === 0 && <li className="muted">Nothing sent yet.</li>}
          {answers.map((answer) => (
            <li
              key={`${answer.at}-${answer.path}-${answer.status}`}
              className={answer.ok ? "answer" : "answer answer--error"}
            >
              <span className="answer-status">
                {answer.ok ? "OK" : "Failed"} {answer.status || "—"}
              </span>{" "}
              <code>
                {answer.method} {answer.path}
              </code>{" "}
              <span className="muted small">{formatTime(answer.at)}</span>
              <p className="answer-summary">{summarize(answer)}</p>
            </li>
          ))}
        </ol>
      </section>
    </div>
  );
}

function PlaceOrder(props: {
  busy: boolean;
  onPlace: (order: PlacedOrder, items: NonNullable<ReturnType<typeof parseItems>>, grant: boolean) => Promise<boolean>;
}) {
  const [orderId, setOrderId] = useState(suggestOrderId);
  const [customerName, setCustomerName] = useState("Casey");
  const [customerId, setCustomerId] = useState("guest-1");
  const [itemsText, setItemsText] = useState("2 x Margherita (no basil)\n1 x Lemonade");
  const [grantCustomer, setGrantCustomer] = useState(true);
  const [problem, setProblem] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const items = parseItems(itemsText);
    if (!ID_PATTERN.test(orderId)) return setProblem("The order number must be 1-64 letters, digits, - or _.");
    if (!customerName.trim()) return setProblem("The customer needs a name.");
    if (grantCustomer && !ID_PATTERN.test(customerId))
      return setProblem("The customer's user id must be 1-64 letters, digits, - or _.");
    if (!items) return setProblem("Write one item per line, like “2 x Margherita (no basil)”.");
    setProblem(null);
    const ok = await props.onPlace(
      { orderId, customerName: customerName.trim(), customerId, status: "placed" },
      items,
      grantCustomer,
    );
    if (ok) setOrderId(suggestOrderId());
  };

  return (
    <form className="panel form" onSubmit={submit} aria-labelledby="place-heading">
      <h2 id="place-heading">Place an order</h2>
      <label htmlFor="sim-order-id">Order number</label>
      <input id="sim-order-id" value={orderId} onChange={(event) => setOrderId(event.target.value)} required />
      <label htmlFor="sim-customer-name">Customer name</label>
      <input
        id="sim-customer-name"
        value={customerName}
        onChange={(event) => setCustomerName(event.target.value)}
        maxLength={100}
        required
      />
      <label htmlFor="sim-items">Items, one per line</label>
      <textarea id="sim-items" rows={3} value={itemsText} onChange={(event) => setItemsText(event.target.value)} />
      <div className="check">
        <input
          id="sim-grant"
          type="checkbox"
          checked={grantCustomer}
          onChange={(event) => setGrantCustomer(event.target.checked)}
        />
        <label htmlFor="sim-grant">Let this customer follow the order</label>
      </div>
      <label htmlFor="sim-customer-id">Customer's user id</label>
      <input
        id="sim-customer-id"
        value={customerId}
        onChange={(event) => setCustomerId(event.target.value)}
        disabled={!grantCustomer}
      />
      {problem && (
        <p className="notice notice--error" role="alert">
          {problem}
        </p>
      )}
      <button type="submit" disabled={props.busy}>
        Place order
      </button>
    </form>
  );
}

function PlacedOrders(props: {
  orders: PlacedOrder[];
  busy: boolean;
  onStatus: (orderId: string, status: string) => void;
}) {
  return (
    <section className="panel" aria-labelledby="placed-heading">
      <h2 id="placed-heading">Orders placed here</h2>
      {props.orders.length === 0 ? (
        <p className="muted">None yet.</p>
      ) : (
        <ul className="placed">
          {props.orders.map((order) => (
            <li key={order.orderId} data-order-id={order.orderId}>
              <p>
                <strong>#{order.orderId}</strong> {order.customerName} · status: {statusLabel(order.status)} ·{" "}
                <a href={`#/order/${encodeURIComponent(order.orderId)}`}>track</a>
              </p>
              <fieldset className="button-row">
                <legend className="sr-only">Set the status of order {order.orderId}</legend>
                {STATUSES.filter((status) => status !== "placed").map((status) => (
                  <button
                    key={status}
                    type="button"
                    disabled={props.busy || order.status === status}
                    onClick={() => props.onStatus(order.orderId, status)}
                  >
                    {statusLabel(status)}
                    <span className="sr-only"> (order {order.orderId})</span>
                  </button>
                ))}
              </fieldset>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ChangeStatus(props: { busy: boolean; onStatus: (orderId: string, status: string) => void }) {
  const [orderId, setOrderId] = useState("");
  const [status, setStatus] = useState<string>("preparing");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (ID_PATTERN.test(orderId)) props.onStatus(orderId, status);
  };
  return (
    <form className="panel form" onSubmit={submit} aria-labelledby="status-heading">
      <h2 id="status-heading">Change any order's status</h2>
      <label htmlFor="sim-status-order">Order number</label>
      <input
        id="sim-status-order"
        value={orderId}
        onChange={(event) => setOrderId(event.target.value)}
        pattern="[A-Za-z0-9_\-]{1,64}"
        required
      />
      <label htmlFor="sim-status">New status</label>
      <select id="sim-status" value={status} onChange={(event) => setStatus(event.target.value)}>
        {STATUSES.map((option) => (
          <option key={option} value={option}>
            {statusLabel(option)}
          </option>
        ))}
      </select>
      <button type="submit" disabled={props.busy}>
        Send status
      </button>
    </form>
  );
}

function SendNotification(props: {
  busy: boolean;
  onSend: (userId: string, notification: { title: string; body: string; type?: string }) => Promise<boolean>;
}) {
  const [userId, setUserId] = useState("guest-1");
  const [title, setTitle] = useState("Your table is ready");
  const [body, setBody] = useState("Please come to the front desk.");
  const [type, setType] = useState("info");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (ID_PATTERN.test(userId) && title.trim()) void props.onSend(userId, { title: title.trim(), body, type });
  };
  return (
    <form className="panel form" onSubmit={submit} aria-labelledby="notify-heading">
      <h2 id="notify-heading">Notify a user</h2>
      <label htmlFor="sim-notify-user">User id</label>
      <input
        id="sim-notify-user"
        value={userId}
        onChange={(event) => setUserId(event.target.value)}
        pattern="[A-Za-z0-9_\-]{1,64}"
        required
      />
      <label htmlFor="sim-notify-title">Title</label>
      <input
        id="sim-notify-title"
        value={title}
        onChange={(event) => setTitle(event.target.value)}
        maxLength={200}
        required
      />
      <label htmlFor="sim-notify-body">Text</label>
      <textarea id="sim-notify-body" rows={2} value={body} onChange={(event) => setBody(event.target.value)} />
      <label htmlFor="sim-notify-type">Kind</label>
      <select id="sim-notify-type" value={type} onChange={(event) => setType(event.target.value)}>
        <option value="info">Info</option>
        <option value="order">Order</option>
        <option value="promo">Offer</option>
      </select>
      <button type="submit" disabled={props.busy}>
        Send notification
      </button>
    </form>
  );
}
