/**
 * The package as users get it: `npm pack`, installed from the tarball into a scratch project
 * outside the repo, then there (a) imported by plain Node 22 with no loader and connected to a
 * real hub, (b) type-checked as a TypeScript consumer against the shipped types, and (c) bundled
 * for browsers with esbuild, client plus hooks, within the size budget.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { afterAll, beforeAll, expect, test } from "vitest";
import { signToken } from "../client/helpers";
import { E2E_BROADCAST_SECRET, type Hub, startHub } from "../support/hub-process";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../..");
/** Client plus hooks, gzipped, for a browser app (React itself not counted: the app has it anyway). */
const BUDGET_BYTES = 15 * 1024;

let scratch: string;
let hub: Hub;

const versionOf = (name: string) =>
  (JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "roomcast-consumer-"));
  const [{ stdout }, started] = await Promise.all([
    run("npm", ["pack", "--silent", "--pack-destination", scratch], { cwd: root, maxBuffer: 16 * 1024 * 1024 }),
    startHub(),
  ]);
  hub = started;
  const tarball = join(scratch, stdout.trim().split("\n").at(-1) as string);
  writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  await run(
    "npm",
    [
      "install",
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
      "--no-package-lock",
      tarball,
      `react@${versionOf("react")}`,
      `@types/react@${versionOf("@types/react")}`,
    ],
    { cwd: scratch, maxBuffer: 16 * 1024 * 1024 },
  );
}, 300_000);

afterAll(async () => {
  await hub?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test("the tarball holds the built package only: JavaScript, types and source maps", async () => {
  const installed = join(scratch, "node_modules/roomcast");
  const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional: boolean }>;
  };
  expect(Object.keys(manifest.dependencies).sort()).toEqual(["partysocket", "valibot"]);
  expect(manifest.peerDependenciesMeta.react?.optional).toBe(true);
  for (const file of ["client/index.js", "client/index.d.ts", "client/index.js.map", "client/react/index.js"]) {
    expect(readFileSync(join(installed, "dist/pkg", file), "utf8").length).toBeGreaterThan(0);
  }
  const { stdout } = await run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
  });
  const files = (JSON.parse(stdout) as { files: { path: string }[] }[])[0]?.files.map((file) => file.path) ?? [];
  expect(files.filter((path) => !path.startsWith("dist/pkg/")).sort()).toEqual(["README.md", "package.json"]);
  // The Worker's own code is not shipped as a client entry.
  expect(files).not.toContain("dist/pkg/src/index.js");
}, 120_000);

test("plain Node 22 imports it without a loader and talks to a real hub", async () => {
  writeFileSync(
    join(scratch, "consumer.mjs"),
    `import { connect } from "roomcast/client";
import { createPublisher } from "roomcast/publisher";
const [url, token, secret] = process.argv.slice(2);
const socket = connect(url, { auth: { token } });
await new Promise((done, fail) => {
  socket.once("connect", done);
  socket.on("connect_error", (error) => { if (!error.willRetry) fail(error); });
});
const heard = new Promise((done) => socket.once("notification", (data, room) => done({ title: data.title, room })));
const sent = await createPublisher({ url, secret }).to(socket.personalRoom).emit("notification", { title: "from the package", body: "" });
console.log(JSON.stringify({ id: socket.id, delivered: sent.delivered, ...(await heard) }));
socket.disconnect();
process.exit(0);
`,
  );
  const token = await signToken({ sub: "packaged" });
  const { stdout } = await run(process.execPath, ["consumer.mjs", hub.url, token, E2E_BROADCAST_SECRET], {
    cwd: scratch,
    timeout: 30_000,
  });
  expect(JSON.parse(stdout)).toEqual({
    id: expect.stringMatching(/^[0-9a-f]{32}$/),
    delivered: { "user-packaged": 1 },
    title: "from the package",
    room: "user-packaged",
  });
}, 60_000);

test("a TypeScript consumer type-checks against the shipped types, which are real types", async () => {
  writeFileSync(
    join(scratch, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        target: "es2022",
        module: "nodenext",
        moduleResolution: "nodenext",
        lib: ["es2022", "dom"],
        jsx: "react-jsx",
        types: [],
        noEmit: true,
        skipLibCheck: true,
      },
      files: ["typed.tsx"],
    }),
  );
  writeFileSync(
    join(scratch, "typed.tsx"),
    `import { connect, type OrderStatusUpdated, RoomcastError } from "roomcast/client";
import { createOutbox, createPublisher, type PublishResult } from "roomcast/publisher";
import { RoomcastProvider, useOrderUpdates, useSocket } from "roomcast/react";

const socket = connect("https://hub.example.com", { auth: (cb) => cb({ token: "t" }), reconnectionDelay: 500 });
socket.on("order-status-updated", (update: OrderStatusUpdated, room: string) => console.log(room, update.status));
socket.on("connect_error", (error) => console.log(error instanceof RoomcastError, error.willRetry));
socket.io.on("reconnect", (attempt: number) => console.log(attempt));
// @ts-expect-error: not an event of the hub
socket.on("order-status-changed", () => {});
// @ts-expect-error: unknown options are refused
connect("https://hub.example.com", { auth: "t", reconnectDelay: 1 });

const publisher = createPublisher({ url: "https://hub.example.com", secret: "s" });
const sent: Promise<PublishResult> = publisher.to("pool-staff").emit("pool-status-updated", {
  poolId: "main",
  status: "open",
  updatedAt: new Date().toISOString(),
});
// @ts-expect-error: new-order needs its items
publisher.to("restaurant-kitchen").emit("new-order", { orderId: 1, customerName: "A", createdAt: "" });
void sent;
void createOutbox;

export function Order(props: { id: number }) {
  const { joined } = useOrderUpdates(props.id, (update) => console.log(update.status));
  return <p>{joined ? "live" : "…"}</p>;
}
export function App() {
  const hub = useSocket("https://hub.example.com", { auth: () => "t" });
  return <RoomcastProvider socket={hub}><Order id={1} /></RoomcastProvider>;
}
`,
  );
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  const result = await run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: scratch }).catch(
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error), failed: true }),
  );
  expect(result.stdout).toBe("");
}, 60_000);

test(`a browser app with connect and the hooks bundles to at most ${BUDGET_BYTES / 1024} KB gzipped, without zod`, async () => {
  writeFileSync(
    join(scratch, "app.tsx"),
    `import { connect } from "roomcast/client";
import {
  RoomcastProvider, useConnected, useLiveUsers, useNotifications, useOrderUpdates, usePagePresence,
  useRestaurantOrders, useRoom, useSocket, useSupportChat,
} from "roomcast/react";
export const all = [connect, RoomcastProvider, useConnected, useLiveUsers, useNotifications, useOrderUpdates,
  usePagePresence, useRestaurantOrders, useRoom, useSocket, useSupportChat];
`,
  );
  const result = await build({
    absWorkingDir: scratch,
    entryPoints: ["app.tsx"],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    external: ["react", "react/jsx-runtime"],
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const output = result.outputFiles[0]?.contents ?? new Uint8Array();
  const gzipped = gzipSync(output, { level: 9 }).byteLength;
  console.info(`client + hooks: ${output.byteLength} bytes minified, ${gzipped} bytes gzipped`);
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.some((path) => path.includes("node_modules/zod/"))).toBe(false);
  expect(inputs.some((path) => path.includes("roomcast/dist/pkg/src/payload-schemas"))).toBe(false);
  expect(gzipped).toBeLessThanOrEqual(BUDGET_BYTES);
}, 60_000);
