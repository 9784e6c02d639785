/**
 * Starts the real hub with `wrangler dev` for end-to-end tests, on free ports and its own local
 * storage, and restarts or stops it on request. Node side only; the launcher itself
 * (scripts/lib/wrangler-dev.mjs) is shared with the benchmark.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startWranglerDev, type WranglerDev } from "../../scripts/lib/wrangler-dev.mjs";

export { freePort };

/** Test-only secrets the e2e hub runs with; tests sign tokens with E2E_JWT_SECRET. */
export const E2E_JWT_SECRET = "e2e-jwt-secret-0123456789abcdef0123456789abcdef";
export const E2E_BROADCAST_SECRET = "e2e-broadcast-secret-0123456789abcdef0123456789";

export interface HubOptions {
  /** Extra vars, e.g. `{ ALLOWED_ORIGINS: "https://app.test" }`. */
  vars?: Record<string, string>;
  /** Reuse the local storage of an earlier hub. */
  persistTo?: string;
  /** Reuse a port (restarts keep the URL clients know). */
  port?: number;
}

export interface Hub {
  port: number;
  url: string;
  wsUrl: string;
  persistTo: string;
  /** Pids of wrangler's node process (workerd runs as its child). */
  pid: number;
  stop(): Promise<void>;
  /** Stops (SIGTERM, or SIGKILL with `kill`: a crash) and starts again on the same port and storage. */
  restart(options?: { kill?: boolean }): Promise<void>;
  output(): string;
}

export async function startHub(options: HubOptions = {}): Promise<Hub> {
  const port = options.port ?? (await freePort());
  const persistTo = options.persistTo ?? mkdtempSync(join(tmpdir(), "roomcast-e2e-"));
  const vars = {
    JWT_SECRET: E2E_JWT_SECRET,
    BROADCAST_SECRET: E2E_BROADCAST_SECRET,
    ENVIRONMENT: "development",
    ...options.vars,
  };
  let running: WranglerDev | null = null;
  let earlier = "";
  const launch = async () => {
    running = await startWranglerDev({ port, persistTo, vars });
  };
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    const current = running;
    running = null;
    if (!current) return;
    earlier += current.output();
    await current.stop(signal);
  };

  await launch();
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    persistTo,
    get pid() {
      return (running as WranglerDev | null)?.child.pid ?? -1;
    },
    stop: () => stop(),
    restart: async (restartOptions) => {
      await stop(restartOptions?.kill ? "SIGKILL" : "SIGTERM");
      await launch();
    },
    output: () => earlier + ((running as WranglerDev | null)?.output() ?? ""),
  };
}
