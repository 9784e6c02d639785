/**
 * Who this tab is. Every tab (and every browser context in the tests) picks its own identity, so
 * that one person can watch the kitchen as kitchen staff in one tab and follow an order as a guest
 * in another. The choice comes from the query string (`?as=kitchen`, or `?user=&roles=&name=`),
 * else from this tab's session storage, else from the page opened first.
 */
import { ID_PATTERN } from "../src/id-pattern.mjs";
import type { Route } from "./router";

export const ROLES = ["admin", "staff", "kitchen", "pool", "support"] as const;
export type Role = (typeof ROLES)[number];

export interface Identity {
  /** The token's `sub`: names the personal room `user-{sub}`. */
  sub: string;
  roles: Role[];
  name: string;
  /** The preset this identity came from, if any. */
  preset?: PresetId;
}

export const PRESETS = {
  kitchen: { sub: "kitchen-1", roles: ["kitchen"], name: "Kim (kitchen)" },
  customer: { sub: "guest-1", roles: [], name: "Casey (guest)" },
  admin: { sub: "admin-1", roles: ["admin"], name: "Alex (admin)" },
  agent: { sub: "agent-1", roles: ["support"], name: "Sam (support)" },
} as const satisfies Record<string, Omit<Identity, "preset">>;
export type PresetId = keyof typeof PRESETS;

export const PRESET_LABELS: Record<PresetId, string> = {
  kitchen: "Kitchen staff",
  customer: "Customer",
  admin: "Admin",
  agent: "Support agent",
};

const STORAGE_KEY = "roomcast-console:identity";

export function presetIdentity(preset: PresetId): Identity {
  const { sub, roles, name } = PRESETS[preset];
  return { sub, roles: [...roles], name, preset };
}

export function isPreset(value: string | null | undefined): value is PresetId {
  return value !== null && value !== undefined && Object.hasOwn(PRESETS, value);
}

/** The identity a page suggests when the tab has none yet. */
export function defaultPresetFor(route: Route): PresetId {
  switch (route.page) {
    case "kitchen":
      return "kitchen";
    case "order":
    case "support":
      return "customer";
    case "agent":
      return "agent";
    default:
      return "admin";
  }
}

function readRoles(value: string | null): Role[] | null {
  if (value === null) return null;
  const roles = value
    .split(",")
    .map((role) => role.trim())
    .filter(Boolean);
  return roles.every((role): role is Role => (ROLES as readonly string[]).includes(role)) ? roles : null;
}

/** Reads `?as=`, `?user=`, `?roles=`, `?name=`; null when the query names no usable identity. */
export function identityFromQuery(search: string): Identity | null {
  const query = new URLSearchParams(search);
  const as = query.get("as");
  const base = isPreset(as) ? presetIdentity(as) : null;
  const user = query.get("user");
  if (user === null || !ID_PATTERN.test(user)) return base;
  const roles = readRoles(query.get("roles")) ?? (base && base.sub === user ? base.roles : []);
  const name = query.get("name")?.trim().slice(0, 100) || user;
  return { sub: user, roles, name };
}

function readStored(storage: Storage | undefined): Identity | null {
  try {
    const raw = storage?.getItem(STORAGE_KEY);
    if (!raw) return null;
    const value = JSON.parse(raw) as Partial<Identity>;
    if (typeof value.sub !== "string" || !ID_PATTERN.test(value.sub)) return null;
    const roles = Array.isArray(value.roles) ? readRoles(value.roles.join(",")) : null;
    if (!roles || typeof value.name !== "string") return null;
    return { sub: value.sub, roles, name: value.name, ...(isPreset(value.preset) ? { preset: value.preset } : {}) };
  } catch {
    return null;
  }
}

export function saveIdentity(identity: Identity, storage: Storage | undefined = globalThis.sessionStorage): void {
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify(identity));
  } catch {
    // Storage may be off (private modes); the identity then lasts as long as the page.
  }
}

export function resolveIdentity(
  search: string,
  route: Route,
  storage: Storage | undefined = globalThis.sessionStorage,
): Identity {
  const identity = identityFromQuery(search) ?? readStored(storage) ?? presetIdentity(defaultPresetFor(route));
  saveIdentity(identity, storage);
  return identity;
}

/** Writes the identity into the address (`?as=` or `?user=`), so a reload or a copied link keeps it. */
export function queryFor(identity: Identity): string {
  if (identity.preset) {
    const preset = PRESETS[identity.preset];
    const same = preset.sub === identity.sub && preset.roles.join() === identity.roles.join();
    if (same) return `?as=${identity.preset}`;
  }
  const query = new URLSearchParams({ user: identity.sub, roles: identity.roles.join(","), name: identity.name });
  return `?${query}`;
}

export function describeIdentity(identity: Identity): string {
  const roles = identity.roles.length > 0 ? identity.roles.join(", ") : "customer, no roles";
  return `${identity.name} (${identity.sub}; ${roles})`;
}

export function sameIdentity(a: Identity, b: Identity): boolean {
  return a.sub === b.sub && a.name === b.name && a.roles.join() === b.roles.join();
}

export function identityKey(identity: Identity): string {
  return `${identity.sub}|${identity.roles.join(",")}|${identity.name}`;
}
