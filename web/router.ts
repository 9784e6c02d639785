/**
 * Hash routes: `#/kitchen`, `#/order/42`, `#/admin`, `#/support`, `#/agent`, `#/agent/guest-1`,
 * `#/simulator`. The static host serves one `index.html`; the hash never reaches the hub.
 */
import { useSyncExternalStore } from "react";
import { ID_PATTERN } from "../src/id-pattern.mjs";

export type Route =
  | { page: "home"; path: "/" }
  | { page: "kitchen"; path: string }
  | { page: "order"; path: string; orderId: string | null }
  | { page: "admin"; path: string }
  | { page: "support"; path: string }
  | { page: "agent"; path: string; userId: string | null }
  | { page: "simulator"; path: string }
  | { page: "not-found"; path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "") || "/";
  const [first = "", second, ...rest] = path.replace(/^\/+/, "").split("/");
  const id = second !== undefined && rest.length === 0 && ID_PATTERN.test(decodeURIComponent(second));
  switch (first) {
    case "":
      return { page: "home", path: "/" };
    case "kitchen":
      return { page: "kitchen", path };
    case "order":
      return { page: "order", path, orderId: id && second ? decodeURIComponent(second) : null };
    case "admin":
      return { page: "admin", path };
    case "support":
      return { page: "support", path };
    case "agent":
      return { page: "agent", path, userId: id && second ? decodeURIComponent(second) : null };
    case "simulator":
      return { page: "simulator", path };
    default:
      return { page: "not-found", path };
  }
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener("hashchange", onChange);
  return () => window.removeEventListener("hashchange", onChange);
}

/** The current hash, re-rendering on every change. */
export function useHash(): string {
  return useSyncExternalStore(
    subscribe,
    () => window.location.hash,
    () => "",
  );
}

export function navigate(path: string): void {
  window.location.hash = path;
}

export const PAGE_TITLES: Record<Route["page"], string> = {
  home: "Console",
  kitchen: "Kitchen display",
  order: "Order tracker",
  admin: "Admin dashboard",
  support: "Support chat",
  agent: "Support agent",
  simulator: "Backend simulator",
  "not-found": "Not found",
};
