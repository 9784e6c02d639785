// Types of `env` and `exports` from "cloudflare:workers"/"cloudflare:test" in the Workers tests.
import type { Env as HubEnv } from "../../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends HubEnv {}
    interface GlobalProps {
      mainModule: typeof import("../../src/index");
      durableNamespaces: "RoomObject" | "PresenceObject";
    }
  }
}
