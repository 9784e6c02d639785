/**
 * Worker bundles on bare `workerd serve`, without wrangler: the production stand-in.
 *
 * `bundleWorker` runs `wrangler deploy --dry-run --outdir` once per run (the bundle production
 * would get) and reads the wrangler config; `startBareWorkerd` writes a config for one trial
 * (workerd-config.mjs: a free port, fresh SQLite storage) and starts the `workerd` binary of the
 * `workerd` npm package that wrangler depends on, so it is the same runtime `wrangler dev` runs.
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { collectOutput, freePort, REPO, WRANGLER_ENV, waitForHttp } from "../../scripts/lib/wrangler-dev.mjs";
import { spawnPinned, stopGroup } from "./children.mjs";

/** The workerd binary wrangler runs (its `workerd` dependency), and that package's version. */
export function workerdBinary(from = REPO) {
  const fromWrangler = createRequire(createRequire(join(from, "package.json")).resolve("wrangler/package.json"));
  const pkg = fromWrangler("workerd");
  return { path: pkg.default, version: pkg.version, compatibilityDate: pkg.compatibilityDate };
}

/**
 * Bundles the Worker of `configPath` (a wrangler.toml) into `outDir` with wrangler's own deploy
 * build, and returns the bundle: its modules (the main one first) and the parsed config.
 */
export async function bundleWorker(configPath, outDir) {
  const cwd = dirname(configPath);
  const wranglerJs = join(REPO, "node_modules/wrangler/bin/wrangler.js");
  try {
    await promisify(execFile)(
      process.execPath,
      [wranglerJs, "deploy", "--dry-run", "--outdir", outDir, "--config", configPath],
      { cwd, env: { ...process.env, ...WRANGLER_ENV }, maxBuffer: 16 << 20 },
    );
  } catch (error) {
    throw new Error(`wrangler deploy --dry-run for ${configPath} failed:\n${error.stdout ?? ""}${error.stderr ?? ""}`);
  }
  const { unstable_readConfig } = await import("wrangler");
  const wrangler = unstable_readConfig({ config: configPath });
  // The bundle is named after the entry point: src/index.ts -> index.js.
  const main = basename(wrangler.main).replace(/\.[^.]+$/, ".js");
  const files = readdirSync(outDir).filter((f) => /\.m?js$/.test(f));
  if (!files.includes(main)) throw new Error(`no ${main} in ${outDir}: ${files.join(", ")}`);
  copyFileSync(join(REPO, "bench/workers/rate-limiter.mjs"), join(outDir, "rate-limiter.mjs"));
  return { dir: outDir, modules: [main, ...files.filter((f) => f !== main)], wrangler };
}

/**
 * Starts `workerd serve` for `bundle` on a free port, pinned like every server of the bench, and
 * resolves once `/health` answers `{"ok":true}`.
 *
 * @param {object} o
 * @param {object} o.bundle from bundleWorker
 * @param {Record<string, string>} o.secrets
 * @param {string | null} o.serverCores
 * @param {string} [o.persistRoot] where the trial's SQLite directory goes (default: the temp dir)
 * @param {number} [o.inspectorPort] also serve V8's inspector there (for profile.mjs)
 */
export async function startBareWorkerd({ bundle, secrets, serverCores, persistRoot, inspectorPort }) {
  const { workerdConfig } = await import("./workerd-config.mjs");
  const port = await freePort();
  const storageDir = mkdtempSync(join(persistRoot ?? tmpdir(), "roomcast-bench-bare-"));
  const configFile = join(bundle.dir, `config-${port}.capnp`);
  writeFileSync(
    configFile,
    workerdConfig({
      modules: bundle.modules,
      wrangler: bundle.wrangler,
      secrets,
      address: `127.0.0.1:${port}`,
      storageDir,
      rateLimiter: "rate-limiter.mjs",
    }),
  );
  const argv = [workerdBinary().path, "serve", configFile];
  if (inspectorPort) argv.push(`--inspector-addr=127.0.0.1:${inspectorPort}`);
  const child = spawnPinned(serverCores, argv, { cwd: bundle.dir, stdio: ["ignore", "pipe", "pipe"] });
  const output = collectOutput(child);
  const stop = async () => {
    // workerd drains open connections (the publisher's keep-alive ones) before it exits on SIGTERM:
    // the trial is over and its storage is thrown away, so one second is enough.
    await stopGroup(child, 1_000);
    rmSync(storageDir, { recursive: true, force: true });
    rmSync(configFile, { force: true });
  };
  try {
    await Promise.race([
      waitForHttp(`http://127.0.0.1:${port}/health`, {
        timeoutMs: 30_000,
        output,
        accept: (body) => body.includes('"ok":true'),
        what: "workerd",
      }),
      new Promise((_, fail) => child.once("exit", (code) => fail(new Error(`workerd exited ${code}:\n${output()}`)))),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { child, port, output, stop };
}
