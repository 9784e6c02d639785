/**
 * The servers under test, each started fresh per trial and pinned to the server core(s):
 *
 * - `hub-bare`: the hub's production bundle (`wrangler deploy --dry-run`) on bare `workerd serve`
 *   with a generated config (bare-workerd.mjs): the stand-in for production, the headline.
 * - `floor-bare`: the runtime's floor, a naive room object (bench/workers/floor), on the same workerd.
 * - `floor-row-bare`: the floor writing one SQLite row per publish and setting one alarm per
 *   accepted socket (D and F2 only): D's goal measured, and what F2's first joins must store.
 * - `partyserver-bare`: the same-runtime peer, a room on the npm partyserver package
 *   (bench/workers/partyserver), on the same workerd.
 * - `hub-workerd`: the hub under `wrangler dev`, reached on the user workerd's own port; wrangler's
 *   node, esbuild and the proxy workerd still run (at normal priority) and are measured.
 * - `hub-wrangler`: the same, through `wrangler dev`'s public port (its proxy workerd in front);
 *   A, D and F only.
 * - `hub-workerd-allrt`: `hub-workerd` as earlier runs had it, every process of wrangler dev at
 *   the bench's real-time priority (A and D only: it shows what that did to the tail).
 * - `socketio`: the reference Socket.io 4.8 server (bench/socketio-server.mjs).
 *
 * A started target tells its ports, its processes (labelled, for the CPU and memory split) and
 * how to stop it.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectOutput, REPO, startWranglerDev, waitForHttp } from "../../scripts/lib/wrangler-dev.mjs";
import { bundleWorker, startBareWorkerd } from "./bare-workerd.mjs";
import { raisePriority, spawnPinned, stopGroup } from "./children.mjs";
import { argvOf, listeningPorts, processTree } from "./proc.mjs";
import { BENCH_BROADCAST_SECRET, BENCH_JWT_SECRET } from "./tokens.mjs";

export { REPO };

/**
 * `kind`: what the load client speaks (the hub's frames, also spoken by the floor and the peer, or
 * Socket.IO); `runtime`: how it is started; `workloads`: where it runs, when not everywhere.
 */
export const TARGETS = {
  "hub-bare": { kind: "hub", runtime: "bare", worker: "hub", label: "hub: production bundle on bare workerd" },
  "floor-bare": {
    kind: "hub",
    runtime: "bare",
    worker: "floor",
    label: "floor: naive room object (bench/workers/floor) on bare workerd",
  },
  "floor-row-bare": {
    kind: "hub",
    runtime: "bare",
    worker: "floorRow",
    // Only D's goal counts a row per publish; F2's joins each create a room's storage. Elsewhere it is the floor.
    workloads: ["D", "F2"],
    label: "floor writing one SQLite row per publish, one alarm per join (bench/workers/floor-row) on bare workerd",
  },
  "partyserver-bare": {
    kind: "hub",
    runtime: "bare",
    worker: "partyserver",
    wsPath: "/parties/rooms/",
    label: "partyserver room (bench/workers/partyserver) on bare workerd",
  },
  "hub-workerd": {
    kind: "hub",
    runtime: "wrangler",
    label: "hub under wrangler dev, on the user workerd's port (proxy idle, still running)",
  },
  "hub-wrangler": {
    kind: "hub",
    runtime: "wrangler",
    // What the proxy adds per frame and per publish shows in A, D and F; the rest of the matrix
    // would add a quarter to the run's time for no more than that.
    workloads: ["A", "D", "F"],
    label: "hub under wrangler dev, through its port (proxy workerd + user workerd + node)",
  },
  "hub-workerd-allrt": {
    kind: "hub",
    runtime: "wrangler",
    allRealtime: true,
    workloads: ["A", "D"],
    label: "hub-workerd with wrangler's node, esbuild and proxy at real-time priority too (earlier runs)",
  },
  socketio: { kind: "socketio", runtime: "node", label: "Socket.io 4.8.4 (Node 22, one process)" },
};

/** Whether `target` runs in `workload` (some run in a few workloads only). */
export function runsIn(target, workload) {
  return !TARGETS[target].workloads || TARGETS[target].workloads.includes(workload);
}

/** The wrangler config of each bare target's Worker. */
const BARE_CONFIGS = {
  hub: (hubDir) => join(hubDir, "wrangler.toml"),
  floor: () => join(REPO, "bench/workers/floor/wrangler.toml"),
  floorRow: () => join(REPO, "bench/workers/floor-row/wrangler.toml"),
  partyserver: () => join(REPO, "bench/workers/partyserver/wrangler.toml"),
};

/**
 * Bundles the Worker of every bare target in `targets` once, into `workDir` (the hub from its
 * snapshot `hubDir`): each trial then starts workerd on the same bundle.
 */
export async function bundleBareWorkers(targets, workDir, hubDir) {
  const bundles = {};
  for (const name of targets) {
    const { runtime, worker } = TARGETS[name];
    if (runtime !== "bare" || bundles[worker]) continue;
    const outDir = join(workDir, `bundle-${worker}`);
    mkdirSync(outDir, { recursive: true });
    bundles[worker] = await bundleWorker(BARE_CONFIGS[worker](hubDir), outDir);
  }
  return bundles;
}

/**
 * Copies the hub's sources once per run, so that a trial measures the same code from the first
 * to the last even while others edit `src/` (wrangler dev would rebuild on every change).
 * `from`: the checkout whose sources are copied (paired.mjs measures two against each other).
 */
export function snapshotHub(workDir, from = REPO) {
  const dir = join(workDir, "hub");
  mkdirSync(dir, { recursive: true });
  for (const name of ["src", "wrangler.toml", "package.json", "tsconfig.json"]) {
    if (existsSync(join(from, name))) cpSync(join(from, name), join(dir, name), { recursive: true });
  }
  symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"));
  // wrangler refuses to start when a configured assets directory is missing: bring it (or an empty one).
  const toml = readFileSync(join(dir, "wrangler.toml"), "utf8");
  const assets = /^\[assets\][^[]*?^directory\s*=\s*"([^"]+)"/ms.exec(toml)?.[1];
  if (assets) {
    const source = join(from, assets);
    if (existsSync(source)) cpSync(source, join(dir, assets), { recursive: true });
    else mkdirSync(join(dir, assets), { recursive: true });
  }
  return dir;
}

/** Waits until `url` answers `{"ok":true}`. */
function waitForHealth(url, timeoutMs, output) {
  return waitForHttp(url, { timeoutMs, output, accept: (body) => body.includes('"ok":true') });
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
  const allRealtime = TARGETS[name].allRealtime === true;
  const persistTo = mkdtempSync(join(persistRoot ?? tmpdir(), "roomcast-bench-persist-"));
  let dev;
  try {
    dev = await startWranglerDev({
      cwd: hubDir,
      persistTo,
      vars: { JWT_SECRET: BENCH_JWT_SECRET, BROADCAST_SECRET: BENCH_BROADCAST_SECRET, ENVIRONMENT: "development" },
      env: HUB_ENV,
      // wrangler's node (which garbage-collects for about 0.4 s soon after start), esbuild and the
      // proxy run at normal priority: at real-time on the server core they held the measured
      // workerd off it in 100 ms time slices. Only the user workerd is raised, below.
      spawn: (argv, options) => spawnPinned(serverCores, argv, options, { priority: allRealtime ? "bench" : "normal" }),
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
    if (!allRealtime) {
      raisePriority(user.pid);
      // Through wrangler's port every frame passes the proxy workerd: it is measured too. (Left at
      // normal priority, other load on the machine put it 300-400 ms behind.)
      const proxy = processes.find((p) => p.label === "proxy workerd");
      if (name === "hub-wrangler" && proxy) raisePriority(proxy.pid);
    }
    const directPort = await findDirectPort(user.pid);
    if (directPort === null) throw new Error(`the user workerd (pid ${user.pid}) answers /health on no port`);
    processes = labelHubProcesses(child.pid, port);
    const usePort = name === "hub-wrangler" ? port : directPort;
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

/** A Worker of `bundles` on bare workerd: one process, labelled `workerd`. */
export async function startBare(name, { bundles, serverCores, persistRoot, inspectorPort }) {
  const bundle = bundles?.[TARGETS[name].worker];
  if (!bundle) throw new Error(`${name}: no bundle (bundleBareWorkers was not run for it)`);
  const bare = await startBareWorkerd({
    bundle,
    secrets: { JWT_SECRET: BENCH_JWT_SECRET, BROADCAST_SECRET: BENCH_BROADCAST_SECRET },
    serverCores,
    persistRoot,
    inspectorPort,
  });
  return {
    name,
    kind: TARGETS[name].kind,
    port: bare.port,
    wsBase: `ws://127.0.0.1:${bare.port}`,
    wsPath: TARGETS[name].wsPath,
    broadcastUrl: `http://127.0.0.1:${bare.port}/internal/broadcast`,
    inspectorPort,
    processes: [{ pid: bare.child.pid, label: "workerd" }],
    currentPids: () => processTree(bare.child.pid),
    output: bare.output,
    stop: bare.stop,
  };
}

export function startTarget(name, options) {
  const { runtime } = TARGETS[name];
  if (runtime === "bare") return startBare(name, options);
  return runtime === "wrangler" ? startHub(name, options) : startSocketIo(name, options);
}
