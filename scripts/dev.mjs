// `npm start`: runs the hub locally with wrangler dev on port 8787 and local Durable Object storage.
// Development secrets come from .dev.vars, created from the committed .dev.vars.example when missing.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("created .dev.vars from .dev.vars.example (development secrets only)");
}
const child = spawn(
  "wrangler",
  ["dev", "--port", "8787", "--persist-to", ".wrangler/state", ...process.argv.slice(2)],
  {
    stdio: "inherit",
    env: { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", ...process.env },
  },
);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 0));
