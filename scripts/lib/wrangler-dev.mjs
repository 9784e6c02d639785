// @ts-check
/**
 * Starts the hub with `wrangler dev` for the end-to-end tests and the benchmark: on free ports,
 * with its own local storage and its vars on the command line, waits until it answers `/health`,
 * and stops it by ending its whole process group (wrangler's node, esbuild and the workerd
 * processes it starts). Plain JavaScript with JSDoc types: the benchmark runs on plain Node and the
 * TypeScript tests import it too.
 */
import { spawn } from "node:child_process";
import { request } from "node:http";
import { createServer } from "node:net";
import { join, resolve } from "node:path";

/** @typedef {import("node:child_process").ChildProcess} ChildProcess */
/** @typedef {import("node:child_process").SpawnOptions} SpawnOptions */

/** The repository this module belongs to. */
export const REPO = resolve(import.meta.dirname, "../..");

/** The environment of every `wrangler dev` started here: no metrics, no network lookups, no prompts. */
export const WRANGLER_ENV = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true" };

/**
 * A TCP port nothing listens on right now (the kernel's pick).
 *
 * @returns {Promise<number>}
 * @example
 * const port = await freePort();
 */
export function freePort() {
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

/**
 * One GET with `node:http`, never the global `fetch`: test environments replace that (happy-dom's
 * prints every refused connection to the console, as a browser's devtools would).
 *
 * @param {string} url
 * @param {number} timeoutMs
 * @returns {Promise<{ status: number, body: string } | null>} null when nothing answered
 */
function get(url, timeoutMs) {
  return new Promise((done) => {
    const req = request(url, { timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        body += chunk;
      });
      res.on("end", () => done({ status: res.statusCode ?? 0, body }));
      res.on("error", () => done(null));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => done(null));
    req.end();
  });
}

/**
 * Polls `url` until it answers 200 with a body that `accept` accepts; throws after `timeoutMs`
 * with the end of `output()` (the server's log) in the message. A refused connection is the
 * expected answer while a server starts, and is not reported.
 *
 * @param {string} url
 * `exited`, when given, says whether the server's process has ended (then there is nothing to wait
 * for: it throws at once instead of at the deadline).
 *
 * @param {{ timeoutMs?: number, output?: () => string, accept?: (body: string) => boolean, what?: string, exited?: () => string | null }} [options]
 * @returns {Promise<void>}
 * @example
 * await waitForHttp("http://127.0.0.1:8787/health", { accept: (body) => body.includes('"ok":true') });
 */
export async function waitForHttp(url, options = {}) {
  const {
    timeoutMs = 90_000,
    output = () => "",
    accept = () => true,
    what = "the server",
    exited = () => null,
  } = options;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const answer = await get(url, 1_000);
    if (answer && answer.status === 200 && accept(answer.body)) return;
    const ended = exited();
    if (ended) throw new Error(`${what} ${ended} before it answered ${url}:\n${output().slice(-2_000)}`);
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`${what} did not answer ${url} within ${timeoutMs} ms:\n${output().slice(-2_000)}`);
}

/**
 * Ends a child's whole process group (it must have been spawned `detached`): `signal`, then
 * SIGKILL after `graceMs` if the leader has not exited, then SIGKILL to the group once more for
 * grandchildren that outlive the leader. Resolves when the leader has exited.
 *
 * @param {ChildProcess | null | undefined} child
 * @param {{ signal?: NodeJS.Signals, graceMs?: number }} [options]
 * @returns {Promise<void>}
 */
export async function stopGroup(child, options = {}) {
  const { signal = "SIGTERM", graceMs = 5_000 } = options;
  if (!child || child.pid === undefined) return;
  const pid = child.pid;
  if (child.exitCode !== null || child.signalCode !== null) {
    killGroup(pid, "SIGKILL");
    return;
  }
  const exited = new Promise((done) => child.once("exit", done));
  killGroup(pid, signal);
  const timer = setTimeout(() => killGroup(pid, "SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
  killGroup(pid, "SIGKILL");
}

/**
 * Keeps what a child prints on stdout and stderr (the last 100-200 kB) for error messages.
 *
 * @param {ChildProcess} child
 * @returns {() => string}
 */
export function collectOutput(child) {
  let log = "";
  /** @param {Buffer | string} chunk */
  const add = (chunk) => {
    log += chunk;
    if (log.length > 200_000) log = log.slice(-100_000);
  };
  child.stdout?.on("data", add);
  child.stderr?.on("data", add);
  return () => log;
}

/**
 * @param {number} pid
 * @param {NodeJS.Signals} signal
 */
export function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/**
 * @typedef {object} WranglerDevOptions
 * @property {string} persistTo local Durable Object storage (`--persist-to`)
 * @property {string} [cwd] the project to run (its wrangler.toml and node_modules); default this repository
 * @property {number} [port] default: a free port
 * @property {Record<string, string>} [vars] passed as `--var NAME:value`
 * @property {Record<string, string>} [env] added to the environment (after WRANGLER_ENV)
 * @property {(argv: string[], options: SpawnOptions) => ChildProcess} [spawn] how to start the
 *   command line (default: `spawn`, detached, i.e. in its own process group)
 * @property {number} [readyTimeoutMs] default 90 s
 */

/**
 * @typedef {object} WranglerDev
 * @property {number} port the port `wrangler dev` serves on (its proxy)
 * @property {number} inspectorPort
 * @property {ChildProcess} child wrangler's launcher process, leader of the process group
 * @property {() => string} output everything it printed so far (the last 200 kB at most)
 * @property {(signal?: NodeJS.Signals) => Promise<void>} stop ends the process group
 */

/**
 * Starts `wrangler dev` on 127.0.0.1 and resolves once `/health` answers `{"ok":true}`; on
 * failure it stops what it started and throws with the end of wrangler's output.
 *
 * @param {WranglerDevOptions} options
 * @returns {Promise<WranglerDev>}
 * @example
 * const hub = await startWranglerDev({ persistTo: dir, vars: { JWT_SECRET: secret, BROADCAST_SECRET: other } });
 * await hub.stop();
 */
export async function startWranglerDev(options) {
  const cwd = options.cwd ?? REPO;
  const port = options.port ?? (await freePort());
  const inspectorPort = await freePort();
  const argv = [
    process.execPath,
    join(cwd, "node_modules/wrangler/bin/wrangler.js"),
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    options.persistTo,
    "--show-interactive-dev-session=false",
    ...Object.entries(options.vars ?? {}).flatMap(([key, value]) => ["--var", `${key}:${value}`]),
  ];
  /** @type {SpawnOptions} */
  const spawnOptions = {
    cwd,
    env: { ...process.env, ...WRANGLER_ENV, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  };
  const child = options.spawn
    ? options.spawn(argv, spawnOptions)
    : spawn(/** @type {string} */ (argv[0]), argv.slice(1), { ...spawnOptions, detached: true });
  const output = collectOutput(child);
  /** @param {NodeJS.Signals} [signal] */
  const stop = (signal) => stopGroup(child, { signal });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/health`, {
      timeoutMs: options.readyTimeoutMs,
      output,
      accept: (body) => body.includes('"ok":true'),
      what: "wrangler dev",
      exited: () =>
        child.exitCode !== null || child.signalCode !== null ? `exited (${child.exitCode ?? child.signalCode})` : null,
    });
  } catch (error) {
    await stop("SIGKILL");
    throw error;
  }
  return { port, inspectorPort, child, output, stop };
}
