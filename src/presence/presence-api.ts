/**
 * What personal rooms, the admin dashboard and the internal API may ask of the presence object.
 * Callers depend on this interface, never on the Durable Object's module.
 */
import type { LiveUsersPush } from "./presence-messages";
import type { UserSnapshot } from "./presence-store";

export interface PresenceApi extends Rpc.DurableObjectBranded {
  /**
   * Replaces what presence knows of one user's connections with their personal room's snapshot
   * (on a join, a navigation, a rename and a close); an older snapshot never undoes a newer one.
   */
  reportUser(snapshot: UserSnapshot): Promise<void>;
  /** The current list. `watch`: an admin will show it, so push changes from now on. */
  liveUsers(watch?: boolean): Promise<LiveUsersPush>;
}
