/**
 * Defensive readers for the payloads of the presence and chat events, which the protocol of this
 * library's first version did not define (see pending-events.ts). They accept the shapes the hub
 * sends (and a few simpler ones), drop anything unreadable, and keep only fields they checked,
 * so a hook never renders garbage.
 */
import { z } from "zod";

/**
 * One online user on the admin dashboard.
 *
 * @example
 * const label = (user: LiveUserInfo) => `${user.name ?? user.userId} on ${user.path ?? "?"}`;
 */
export interface LiveUserInfo {
  userId: string;
  name?: string;
  roles?: string[];
  /** The page the user's most recently active connection shows. */
  path?: string | null;
  connections?: number;
  /** ms since the epoch. */
  lastSeenAt?: number;
}

export interface LiveUsersSnapshot {
  users: LiveUserInfo[];
  /** Users online, listed or not. */
  total: number;
  /** More users are online than `users` lists. */
  truncated: boolean;
}

const id = z.union([z.string().min(1).max(200), z.number()]).transform(String);
const optional = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);

const liveUserSchema = z
  .object({
    userId: optional(id),
    id: optional(id),
    name: optional(z.string().max(200)),
    roles: optional(z.array(z.string())),
    path: optional(z.string().nullable()),
    connections: optional(z.number().int().nonnegative()),
    lastSeenAt: optional(z.number()),
  })
  .transform(({ userId, id: otherId, ...rest }): LiveUserInfo | null => {
    const who = userId ?? otherId;
    if (!who) return null;
    return { userId: who, ...withoutUndefined(rest) };
  });

/** Reads `{ users, total?, truncated? }` or a bare array of users; null when it is neither. */
export function readLiveUsers(data: unknown): LiveUsersSnapshot | null {
  const list = Array.isArray(data) ? data : z.object({ users: z.array(z.unknown()) }).safeParse(data).data?.users;
  if (!list) return null;
  const users = list
    .map((entry) => liveUserSchema.safeParse(entry).data ?? null)
    .filter((user): user is LiveUserInfo => user !== null);
  const totals = z
    .object({ total: optional(z.number().int().nonnegative()), truncated: optional(z.boolean()) })
    .safeParse(data).data;
  const total = totals?.total ?? users.length;
  return { users, total, truncated: totals?.truncated ?? total > users.length };
}

/**
 * One support chat message.
 *
 * @example
 * const mine = (message: SupportChatMessage) => message.author.id === socket.userId;
 */
export interface SupportChatMessage {
  /** The hub's id; messages are deduplicated by it. */
  id?: string;
  /** Position in the room's event sequence. */
  seq?: number;
  text: string;
  clientMessageId?: string;
  author: { id: string; name?: string; role?: string };
  /** ms since the epoch. */
  createdAt?: number;
}

const chatMessageSchema = z
  .object({
    id: optional(id),
    seq: optional(z.number().int().nonnegative()),
    text: z.string(),
    clientMessageId: optional(z.string()),
    author: optional(z.object({ id, name: optional(z.string()), role: optional(z.string()) })),
    userId: optional(id),
    createdAt: optional(z.number()),
  })
  .transform(({ author, userId, ...rest }): SupportChatMessage | null => {
    const who = author ?? (userId ? { id: userId } : undefined);
    if (!who) return null;
    return {
      ...withoutUndefined(rest),
      text: rest.text,
      author: withoutUndefined(who) as SupportChatMessage["author"],
    };
  });

export function readChatMessage(data: unknown): SupportChatMessage | null {
  return chatMessageSchema.safeParse(data).data ?? null;
}

/** Reads `{ messages: [...] }` or a bare array (oldest first); unreadable messages are dropped. */
export function readChatHistory(data: unknown): SupportChatMessage[] | null {
  const list = Array.isArray(data) ? data : z.object({ messages: z.array(z.unknown()) }).safeParse(data).data?.messages;
  if (!list) return null;
  return list.map(readChatMessage).filter((message): message is SupportChatMessage => message !== null);
}

export interface ChatTypingNews {
  userId: string;
  typing: boolean;
}

export function readChatTyping(data: unknown): ChatTypingNews | null {
  return z.object({ userId: id, typing: z.boolean() }).safeParse(data).data ?? null;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
