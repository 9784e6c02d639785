/**
 * Order hooks: one order's status (`order-{id}`) and the kitchen screen (`restaurant-kitchen`).
 */
import type { NewOrder, OrderStatusUpdated } from "../../src/protocol.js";
import { type RoomOptions, type RoomStatus, useRoom } from "./bindings.js";

/**
 * Follows one order: joins `order-{orderId}` and calls `onUpdate` for each `order-status-updated`.
 * The user needs a staff role or a backend grant for that order.
 *
 * @example
 * useOrderUpdates(order.id, (update) => setStatus(update.status), {
 *   onRecoveryFailed: () => api.getOrder(order.id).then((fresh) => setStatus(fresh.status)),
 * });
 */
export function useOrderUpdates(
  orderId: string | number | null | undefined,
  onUpdate: (update: OrderStatusUpdated, room: string) => void,
  options: RoomOptions = {},
): RoomStatus {
  const room = orderId === null || orderId === undefined || orderId === "" ? null : `order-${orderId}`;
  return useRoom(room, { "order-status-updated": onUpdate }, options);
}

/**
 * The kitchen screen: joins `restaurant-kitchen` for new orders and status changes.
 *
 * @example
 * useRestaurantOrders(
 *   (order) => setOrders((orders) => [...orders, order]),
 *   (update) => setOrders((orders) => withStatus(orders, update)),
 *   { onRecoveryFailed: () => api.openOrders().then(setOrders) },
 * );
 */
export function useRestaurantOrders(
  onNewOrder: (order: NewOrder, room: string) => void,
  onStatusUpdate?: (update: OrderStatusUpdated, room: string) => void,
  options: RoomOptions = {},
): RoomStatus {
  return useRoom("restaurant-kitchen", { "new-order": onNewOrder, "order-status-updated": onStatusUpdate }, options);
}
