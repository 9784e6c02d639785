// The app's order store; in the seed it is a database, here a map.
export interface OrderItemRow {
  name: string;
  quantity: number;
  price: number; // euros, as the seed stored them
}
export interface OrderRow {
  id: number;
  customerId: string;
  customerName: string;
  items: OrderItemRow[];
  status: string;
  createdAt: Date;
  updatedAt: Date;
}

const orders = new Map<number, OrderRow>();
let nextId = 1000;

export const db = {
  orders: {
    async create(input: Omit<OrderRow, "id" | "status" | "createdAt" | "updatedAt">): Promise<OrderRow> {
      const now = new Date();
      const order = { ...input, id: nextId++, status: "received", createdAt: now, updatedAt: now };
      orders.set(order.id, order);
      return order;
    },
    async update(id: number, change: Partial<OrderRow>): Promise<OrderRow> {
      const order = { ...(orders.get(id) as OrderRow), ...change, updatedAt: new Date() };
      orders.set(id, order);
      return order;
    },
  },
};
