import { createPublisher } from "roomcast/publisher";
import { db, type OrderItemRow } from "./db";

export const io = createPublisher({ url: process.env.HUB_URL ?? "", secret: process.env.BROADCAST_SECRET ?? "" });

export async function createOrder(input: { customerId: string; customerName: string; items: OrderItemRow[] }) {
  const order = await db.orders.create(input);
  // The customer may follow their order's room.
  await io.grant(`order-${order.id}`, order.customerId);
  await io.to("restaurant-kitchen").emit("new-order", {
    orderId: order.id,
    customerName: order.customerName,
    items: order.items.map((item) => ({
      name: item.name,
      quantity: item.quantity,
      price: Math.round(item.price * 100),
    })),
    currency: "EUR",
    createdAt: order.createdAt.toISOString(),
  });
  return order;
}

export async function updateOrderStatus(orderId: number, status: string) {
  const order = await db.orders.update(orderId, { status });
  await io.to(`order-${orderId}`).to("restaurant-kitchen").emit("order-status-updated", {
    orderId,
    status,
    updatedAt: order.updatedAt.toISOString(),
  });
  await io.to(`user-${order.customerId}`).emit("notification", {
    title: "Order update",
    body: `Your order is ${status}`,
  });
  return order;
}

export async function updatePoolStatus(status: "open" | "busy" | "full" | "closed", occupancy: number) {
  await io.to("pool-staff").emit("pool-status-updated", {
    poolId: "main",
    status,
    occupancy,
    updatedAt: new Date().toISOString(),
  });
}
