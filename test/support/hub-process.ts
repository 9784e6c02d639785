/**
 * Starts the real hub with `wrangler dev` for end-to-end tests, on free ports and its own local
 * storage, and restarts or stops it on request. Node side only.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

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

const root = resolve(import.meta.dirname, "../..");

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

export async function startHub(options: HubOptions = {}): Promise<Hub> {
  const port = options.port ?? (await freePort());
  const persistTo = options.persistTo ?? mkdtempSync(join(tmpdir(), "roomcast-e2e-"));
  let child: ChildProcess | null = null;
  let log = "";

  const launch = async () => {
    const inspectorPort = await freePort();
    const vars: Record<string, string> = {
      JWT_SECRET: E2E_JWT_SECRET,
      BROADCAST_SECRET: E2E_BROADCAST_SECRET,
      ENVIRONMENT: "development",
      ...options.vars,
    };
    const args = [
      join(root, "node_modules/wrangler/bin/wrangler.js"),
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspectorPort),
      "--persist-to",
      persistTo,
      "--show-interactive-dev-session=false",
      ...Object.entries(vars).flatMap(([key, value]) => ["--var", `${key}:${value}`]),
    ];
    child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    child.stdout?.on("data", (chunk) => {
      log += chunk;
    });
    child.stderr?.on("data", (chunk) => {
      log += chunk;
    });
    await waitUntilReady(`http://127.0.0.1:${port}/health`, () => log);
  };

  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null || running.pid === undefined) return;
    const exited = new Promise<void>((done) => running.once("exit", () => done()));
    // The whole process group: wrangler's node and the workerd it started.
    try {
      process.kill(-running.pid, signal);
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-(running.pid as number), "SIGKILL");
      } catch {}
    }, 5_000);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    persistTo,
    get pid() {
      return (child as ChildProcess | null)?.pid ?? -1;
    },
    stop: () => stop(),
    restart: async (restartOptions) => {
      await stop(restartOptions?.kill ? "SIGKILL" : "SIGTERM");
      await launch();
    },
    output: () => log,
  };
}

async function waitUntilReady(url: string, log: () => string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`wrangler dev did not answer ${url} within ${timeoutMs} ms:\n${log()}`);
}
