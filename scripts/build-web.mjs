// `npm run build:web`: bundles the live console (web/, TypeScript and React, using client/) into
// dist/web, which wrangler serves as static assets ([assets] in wrangler.toml).
// `node scripts/build-web.mjs --watch` rebuilds on every change while `npm start` runs.
//
// Only files whose bytes changed are written: a running `wrangler dev` reloads when its assets
// change, so an unchanged rebuild must not touch them.
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import * as esbuild from "esbuild";

const root = resolve(import.meta.dirname, "..");
const outdir = join(root, "dist/web");
const watch = process.argv.includes("--watch");

/** Writes a file unless it already holds these bytes; true when it wrote. */
async function writeIfChanged(path, contents) {
  if (existsSync(path) && Buffer.compare(readFileSync(path), Buffer.from(contents)) === 0) return false;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, contents);
  return true;
}

/** @type {import("esbuild").Plugin} */
const emit = {
  name: "emit-changed",
  setup(build) {
    build.onEnd(async (result) => {
      if (result.errors.length > 0) return;
      const files = [
        ...(result.outputFiles ?? []).map((file) => ({ path: file.path, contents: file.contents })),
        { path: join(outdir, "index.html"), contents: readFileSync(join(root, "web/index.html")) },
      ];
      const written = [];
      for (const file of files) if (await writeIfChanged(file.path, file.contents)) written.push(file);
      const sizes = files
        .filter((file) => !file.path.endsWith(".map") && !file.path.endsWith(".txt"))
        .map((file) => `${relative(outdir, file.path)} ${Math.ceil(file.contents.length / 1024)} KiB`);
      console.log(`build-web: dist/web (${sizes.join(", ")}); ${written.length} of ${files.length} files changed`);
    });
  },
};

/** @type {import("esbuild").BuildOptions} */
const options = {
  absWorkingDir: root,
  entryPoints: { app: "web/main.tsx" },
  outdir,
  write: false,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022", "chrome111", "firefox114", "safari16.4"],
  jsx: "automatic",
  tsconfig: "web/tsconfig.json",
  // React's production build; the console is the same in every environment.
  define: { "process.env.NODE_ENV": '"production"' },
  minify: !watch,
  sourcemap: "linked",
  legalComments: "linked",
  logLevel: "warning",
  plugins: [emit],
};

if (watch) {
  const context = await esbuild.context(options);
  await context.watch();
  console.log("build-web: watching web/ and client/ (Ctrl+C stops)");
} else {
  await esbuild.build(options);
}
