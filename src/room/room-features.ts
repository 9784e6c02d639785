/**
 * Which features each room kind has, beyond the core every room shares (sockets, grants,
 * history and resume, token expiry).
 */
import { liveUsersFeature } from "../presence/live-users-feature";
import { presenceReporter } from "../presence/presence-reporter";
import type { RoomKindName } from "../room-policy";
import { notifications } from "./notifications";
import type { RoomFeature } from "./room-feature";
import { supportAgents } from "./support-agents";
import { supportChat } from "./support-chat";

export const FEATURES_BY_KIND: Record<RoomKindName, readonly RoomFeature[]> = {
  user: [notifications, presenceReporter],
  order: [],
  kitchen: [],
  pool: [],
  adminDashboard: [liveUsersFeature],
  supportAgents: [supportAgents],
  support: [supportChat],
};
