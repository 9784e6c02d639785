/**
 * The servers under test, each started fresh per trial and pinned to the server core(s):
 *
 * - `hub-wrangler`: the hub through `wrangler dev`'s public port (its proxy workerd in front).
 * - `hub-workerd`: the same kind of hub, but the clients and the publisher talk to the user workerd
 *   behind the proxy directly; the proxy and wrangler's node still run (and are still measured).
 * - `socketio`: the reference Socket.io 4.8 server (bench/socketio-server.mjs).
 *
 * A started target tells its ports, its processes (labelled, for the CPU and memory split) and
 * how to stop it.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO, startWranglerDev, waitForHttp } from "../../scripts/lib/wrangler-dev.mjs";
import { spawnPinned, stopGroup } from "./children.mjs";
import { argvOf, listeningPorts, processTree } from "./proc.mjs";
import { BENCH_BROADCAST_SECRET, BENCH_JWT_SECRET } from "./tokens.mjs";

export { REPO };

export const TARGETS = {
  "hub-wrangler": { kind: "hub", label: "hub via wrangler dev port (proxy workerd + user workerd + node)" },
  "hub-workerd": { kind: "hub", label: "hub direct on the user workerd port (proxy idle, still running)" },
  socketio: { kind: "socketio", label: "Socket.io 4.8.4 (Node 22, one process)" },
};

/**
 * Copies the hub's sources once per run, so that a trial measures the same code from the first
 * to the last even while others edit `src/` (wrangler dev would rebuild on every change).
 */
export function snapshotHub(workDir) {
  const dir = join(workDir, "hub");
  mkdirSync(dir, { recursive: true });
  for (const name of ["src", "wrangler.toml", "package.json", "tsconfig.json"]) {
    if (existsSync(join(REPO, name))) cpSync(join(REPO, name), join(dir, name), { recursive: true });
  }
  symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"));
  // wrangler refuses to start when a configured assets directory is missing: bring it (or an empty one).
  const toml = readFileSync(join(dir, "wrangler.toml"), "utf8");
  const assets = /^\[assets\][^[]*?^directory\s*=\s*"([^"]+)"/ms.exec(toml)?.[1];
  if (assets) {
    const from = join(REPO, assets);
    if (existsSync(from)) cpSync(from, join(dir, assets), { recursive: true });
    else mkdirSync(join(dir, assets), { recursive: true });
  }
  return dir;
}

/** Waits until `url` answers `{"ok":true}`. */
function waitForHealth(url, timeoutMs, output) {
  return waitForHttp(url, { timeoutMs, output, accept: (body) => body.includes('"ok":true') });
}

function collectOutput(child) {
  let log = "";
  const add = (chunk) => {
    log += chunk;
    if (log.length > 200_000) log = log.slice(-100_000);
  };
  child.stdout?.on("data", add);
  child.stderr?.on("data", add);
  return () => log;
}

/** Labels the processes of a started server for the CPU and memory split. */
function labelHubProcesses(rootPid, publicPort) {
  const processes = [];
  for (const pid of processTree(rootPid)) {
    const argv = argvOf(pid);
    const joined = argv.join(" ");
    let label;
    if (/workerd$/.test(argv[0] ?? "")) {
      if (joined.includes("--socket-addr=entry=127.0.0.1:0")) label = "user workerd";
      else if (joined.includes(`--socket-addr=entry=127.0.0.1:${publicPort}`)) label = "proxy workerd";
      else label = "workerd (other)";
    } else if (/esbuild/.test(argv[0] ?? "")) label = "esbuild";
    else if (pid === rootPid) label = "wrangler launcher node";
    else if (joined.includes("wrangler-dist/cli.js")) label = "wrangler node";
    else label = `other (${(argv[0] ?? "?").split("/").pop()})`;
    processes.push({ pid, label });
  }
  return processes;
}

async function findDirectPort(userPid) {
  for (const port of listeningPorts(userPid)) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1_000) });
      if ((await res.text()).includes('"ok":true')) return port;
    } catch {
      // the inspector or the debug port
    }
  }
  return null;
}

/**
 * Environment of every `wrangler dev` the bench starts. Wrangler's local observability (on by
 * default) records a trace of every request, RPC call and WebSocket event into a SQLite database
 * by a collector worker running in the same workerd process as the hub, and the local explorer
 * adds its own routes: development tooling that production does not run on the hub's thread.
 * Measured with them on, a D publish cost 1,266 us of CPU per delivery instead of 812.
 * `BENCH_DEV_TOOLING=1` keeps them on.
 */
export const HUB_ENV =
  process.env.BENCH_DEV_TOOLING === "1" ? {} : { X_LOCAL_OBSERVABILITY: "false", X_LOCAL_EXPLORER: "false" };

export async function startHub(name, { hubDir, serverCores, persistRoot }) {
  const persistTo = mkdtempSync(join(persistRoot ?? tmpdir(), "roomcast-bench-persist-"));
  let dev;
  try {
    dev = await startWranglerDev({
      cwd: hubDir,
      persistTo,
      vars: { JWT_SECRET: BENCH_JWT_SECRET, BROADCAST_SECRET: BENCH_BROADCAST_SECRET, ENVIRONMENT: "development" },
      env: HUB_ENV,
      spawn: (argv, options) => spawnPinned(serverCores, argv, options),
    });
  } catch (error) {
    rmSync(persistTo, { recursive: true, force: true });
    throw error;
  }
  const { child, port, output } = dev;
  const stop = async () => {
    await stopGroup(child);
    rmSync(persistTo, { recursive: true, force: true });
  };
  try {
    let processes = labelHubProcesses(child.pid, port);
    const user = processes.find((p) => p.label === "user workerd");
    if (!user) throw new Error(`no user workerd under wrangler (pid ${child.pid})`);
    const directPort = await findDirectPort(user.pid);
    if (directPort === null) throw new Error(`the user workerd (pid ${user.pid}) answers /health on no port`);
    processes = labelHubProcesses(child.pid, port);
    const usePort = name === "hub-workerd" ? directPort : port;
    return {
      name,
      kind: "hub",
      port: usePort,
      wranglerPort: port,
      directPort,
      inspectorPort: dev.inspectorPort,
      wsBase: `ws://127.0.0.1:${usePort}`,
      broadcastUrl: `http://127.0.0.1:${usePort}/internal/broadcast`,
      processes,
      currentPids: () => processTree(child.pid),
      output,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export async function startSocketIo(name, { serverCores, heartbeatMs }) {
  const script = join(REPO, "bench/socketio-server.mjs");
  const argv = [process.execPath, script, "--port", "0", "--ping-interval", String(heartbeatMs)];
  const child = spawnPinned(serverCores, argv, {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = collectOutput(child);
  const stop = () => stopGroup(child);
  try {
    const port = await new Promise((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`socket.io server did not start:\n${output()}`)), 15_000);
      const check = () => {
        const match = /listening (\d+)/.exec(output());
        if (match) {
          clearTimeout(timer);
          done(Number(match[1]));
        }
      };
      child.stdout.on("data", check);
      child.once("exit", (code) => fail(new Error(`socket.io server exited ${code}:\n${output()}`)));
    });
    await waitForHealth(`http://127.0.0.1:${port}/health`, 15_000, output);
    return {
      name,
      kind: "socketio",
      port,
      wsBase: `ws://127.0.0.1:${port}`,
      broadcastUrl: `http://127.0.0.1:${port}/broadcast`,
      processes: processTree(child.pid).map((pid) => ({ pid, label: "socket.io node" })),
      output,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export function startTarget(name, options) {
  return TARGETS[name].kind === "hub" ? startHub(name, options) : startSocketIo(name, options);
}
