/**
 * What personal rooms, the admin dashboard and the internal API may ask of the presence object.
 * Callers depend on this interface, never on the Durable Object's module.
 */
import type { LiveUsersPush } from "./presence-messages";
import type { ConnectionReport } from "./presence-store";

export interface PresenceApi extends Rpc.DurableObjectBranded {
  /** Records connections (new, navigated, renamed). Reports for removed connections are ignored. */
  report(reports: ConnectionReport[]): Promise<void>;
  /** Removes connections that closed. */
  leave(ids: string[]): Promise<void>;
  /** The current list. `watch`: an admin will show it, so push changes from now on. */
  liveUsers(watch?: boolean): Promise<LiveUsersPush>;
}
