import { useState } from "react";
import { useRestaurantOrders } from "../../client/react";
import { AccessProblem } from "../components/access-problem";
import { MissedUpdates } from "../components/missed-updates";
import { RoomStatusLine } from "../components/room-status";
import { useNow } from "../components/use-now";
import {
  ago,
  COLUMNS,
  type KitchenOrder,
  type OrderBook,
  ordersIn,
  statusLabel,
  withNewOrder,
  withStatus,
} from "../orders";

/** The kitchen display: orders as cards in columns by status, live from `restaurant-kitchen`. */
export function KitchenPage() {
  const [book, setBook] = useState<OrderBook>({});
  const [gapAt, setGapAt] = useState<number | null>(null);
  const status = useRestaurantOrders(
    (order) => setBook((current) => withNewOrder(current, order)),
    (update) => setBook((current) => withStatus(current, update)),
    // Rejoins resume where the screen left off; when the hub cannot replay, say so.
    { onRecoveryFailed: () => setGapAt(Date.now()) },
  );
  const now = useNow(5000);
  const count = Object.keys(book).length;
  return (
    <div className="kitchen">
      <div className="page-head">
        <h1>Kitchen display</h1>
        <RoomStatusLine room="restaurant-kitchen" status={status} label="Orders from" />
      </div>
      {status.error && <AccessProblem room="restaurant-kitchen" error={status.error} suggest="kitchen" />}
      {gapAt !== null && <MissedUpdates at={gapAt} onDismiss={() => setGapAt(null)} />}
      {count === 0 && !status.error && (
        <p className="notice">
          No orders yet. Place one from the <a href="#/simulator">backend simulator</a> (in another tab). This screen
          shows the orders announced while it is open: the hub forwards events, the restaurant's backend keeps orders.
        </p>
      )}
      <div className="columns">
        {COLUMNS.map((column) => {
          const orders = ordersIn(book, column.id);
          const headingId = `column-${column.id}`;
          return (
            <section key={column.id} className={`column column--${column.id}`} aria-labelledby={headingId}>
              <h2 id={headingId}>
                {column.title} <span className="count">({orders.length})</span>
              </h2>
              <p className="column-hint">{column.hint}</p>
              <ul className="cards">
                {orders.map((order) => (
                  <li key={order.orderId}>
                    <OrderCard order={order} now={now} />
                  </li>
                ))}
              </ul>
            </section>
          );
        })}
      </div>
    </div>
  );
}

function OrderCard({ order, now }: { order: KitchenOrder; now: number }) {
  const titleId = `order-${order.orderId}-title`;
  return (
    <article className={`card card--${order.status}`} aria-labelledby={titleId} data-order-id={order.orderId}>
      <h3 id={titleId}>Order #{order.orderId}</h3>
      <p className="card-meta">
        {order.order ? order.order.customerName : "details not received"} · placed {ago(order.placedAt, now)}
      </p>
      {order.order && (
        <ul className="items">
          {order.order.items.map((item, index) => (
            // Items have no ids; their position in the order is stable.
            // biome-ignore lint/suspicious/noArrayIndexKey: items never move within an order
            <li key={index}>
              <span className="qty">{item.quantity} ×</span> {item.name}
              {item.notes && <span className="notes"> — {item.notes}</span>}
            </li>
          ))}
        </ul>
      )}
      <p className="card-status">
        Status: <strong>{statusLabel(order.status)}</strong>
      </p>
    </article>
  );
}
