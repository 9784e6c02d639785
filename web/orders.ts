/**
 * Orders as the console shows them. The hub forwards events and keeps no orders, so every screen
 * builds its orders from the events it received while open (and those the hub replays to it).
 */
import type { NewOrder, OrderStatusUpdated } from "../src/protocol";

/** The statuses the simulator offers, in the order an order goes through them. */
export const STATUSES = ["placed", "preparing", "ready", "served", "cancelled"] as const;

export type Column = "new" | "preparing" | "ready" | "done";

export const COLUMNS: { id: Column; title: string; hint: string }[] = [
  { id: "new", title: "New", hint: "placed, not started" },
  { id: "preparing", title: "Preparing", hint: "being cooked" },
  { id: "ready", title: "Ready", hint: "waiting for pickup" },
  { id: "done", title: "Done", hint: "served or cancelled" },
];

const COLUMN_OF: Record<string, Column> = {
  placed: "new",
  new: "new",
  received: "new",
  confirmed: "new",
  accepted: "new",
  preparing: "preparing",
  cooking: "preparing",
  "in-progress": "preparing",
  in_progress: "preparing",
  ready: "ready",
  "ready-for-pickup": "ready",
  served: "done",
  delivered: "done",
  completed: "done",
  "picked-up": "done",
  cancelled: "done",
  canceled: "done",
  rejected: "done",
};

/** Unknown statuses stay in "New": a status the kitchen does not know needs a person to look. */
export function columnOf(status: string): Column {
  return COLUMN_OF[status] ?? "new";
}

/** `ready-for-pickup` → `Ready for pickup`. */
export function statusLabel(status: string): string {
  const words = status.replace(/[-_]+/g, " ").trim();
  return words ? words[0]?.toUpperCase() + words.slice(1) : status;
}

export interface StatusChange {
  status: string;
  /** ms since the epoch: the event's `updatedAt`, else when it arrived. */
  at: number;
}

export interface KitchenOrder {
  orderId: string;
  /** Null when only status updates arrived (the order was placed before this screen opened). */
  order: NewOrder | null;
  status: string;
  placedAt: number;
  history: StatusChange[];
}

function timeOf(iso: string | undefined, fallback: number): number {
  const parsed = iso ? Date.parse(iso) : Number.NaN;
  return Number.isFinite(parsed) ? parsed : fallback;
}

export type OrderBook = Record<string, KitchenOrder>;

export function withNewOrder(book: OrderBook, order: NewOrder, now = Date.now()): OrderBook {
  const orderId = String(order.orderId);
  const known = book[orderId];
  const placedAt = timeOf(order.createdAt, now);
  if (known) return { ...book, [orderId]: { ...known, order, placedAt } };
  return {
    ...book,
    [orderId]: { orderId, order, status: "placed", placedAt, history: [{ status: "placed", at: placedAt }] },
  };
}

export function withStatus(book: OrderBook, update: OrderStatusUpdated, now = Date.now()): OrderBook {
  const orderId = String(update.orderId);
  const at = timeOf(update.updatedAt, now);
  const known = book[orderId] ?? { orderId, order: null, status: update.status, placedAt: at, history: [] };
  const last = known.history[known.history.length - 1];
  // The same status twice (a replay, a retried publish) is one step.
  const history = last?.status === update.status ? known.history : [...known.history, { status: update.status, at }];
  return { ...book, [orderId]: { ...known, status: update.status, history } };
}

/** Orders of one column, oldest first: the kitchen works first in, first out. */
export function ordersIn(book: OrderBook, column: Column): KitchenOrder[] {
  return Object.values(book)
    .filter((order) => columnOf(order.status) === column)
    .sort((a, b) => a.placedAt - b.placedAt);
}

/**
 * Reads the simulator's item lines: `2 x Margherita (no basil)`, `Lemonade`.
 * Returns null when a line is not an item.
 */
export function parseItems(text: string): NewOrder["items"] | null {
  const lines = text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  if (lines.length === 0) return null;
  const items: NewOrder["items"] = [];
  for (const line of lines) {
    const match = /^(?:(\d{1,4})\s*[x×*]\s*)?(.+?)(?:\s*\(([^)]*)\))?$/i.exec(line);
    if (!match?.[2]) return null;
    const quantity = match[1] ? Number(match[1]) : 1;
    if (quantity < 1 || quantity > 1000) return null;
    const notes = match[3]?.trim();
    items.push({ name: match[2].slice(0, 200), quantity, ...(notes ? { notes: notes.slice(0, 500) } : {}) });
  }
  return items;
}

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** `just now`, `42 s ago`, `3 min ago`, `2 h ago`. */
export function ago(ms: number, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 5) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  return `${Math.floor(minutes / 60)} h ago`;
}
