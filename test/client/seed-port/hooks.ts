import { useEffect } from "react";
import type { NewOrder, OrderStatusUpdated } from "roomcast/client";
import { useSocket } from "./socket";

export function useOrderUpdates(orderId: string | number, onUpdate: (update: OrderStatusUpdated) => void) {
  const socket = useSocket();
  useEffect(() => {
    if (!socket || !orderId) return;
    const room = `order-${orderId}`;
    const join = () => socket.emit("join-room", room);
    join();
    socket.on("connect", join); // rejoin after a reconnect
    socket.on("order-status-updated", onUpdate);
    return () => {
      socket.emit("leave-room", room);
      socket.off("connect", join);
      socket.off("order-status-updated", onUpdate);
    };
  }, [socket, orderId, onUpdate]);
}

export function useRestaurantOrders(
  onNewOrder: (order: NewOrder) => void,
  onOrderUpdate: (update: OrderStatusUpdated) => void,
) {
  const socket = useSocket();
  useEffect(() => {
    if (!socket) return;
    const join = () => socket.emit("join-room", "restaurant-kitchen");
    join();
    socket.on("connect", join);
    socket.on("new-order", onNewOrder);
    socket.on("order-status-updated", onOrderUpdate);
    return () => {
      socket.emit("leave-room", "restaurant-kitchen");
      socket.off("connect", join);
      socket.off("new-order", onNewOrder);
      socket.off("order-status-updated", onOrderUpdate);
    };
  }, [socket, onNewOrder, onOrderUpdate]);
}
