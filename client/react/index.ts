/**
 * roomcast's React hooks (`roomcast/react`): the provider and general bindings, then one module
 * per app concern.
 */
export {
  type RecoveryFailedHandler,
  RoomcastProvider,
  type RoomHandlers,
  type RoomOptions,
  type RoomStatus,
  useConnected,
  useRoom,
  useRoomcast,
  useSocket,
} from "./bindings.js";
export { type Notifications, useNotifications } from "./notifications.js";
export { useOrderUpdates, useRestaurantOrders } from "./orders.js";
export { type LiveUsers, useLiveUsers, usePagePresence } from "./presence.js";
export { type SupportChat, type SupportChatOptions, type TypingUser, useSupportChat } from "./support-chat.js";
