import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Node-side tests against a real `wrangler dev` (started by each test file) and the client library.
export default defineConfig({
  // The package's own names, so that code written for the published package (the migration
  // guide's port) runs against the sources. test/package checks the packed package itself.
  resolve: {
    alias: {
      "roomcast/client": here("./client/index.ts"),
      "roomcast/react": here("./client/react/index.ts"),
      "roomcast/publisher": here("./client/backend.ts"),
    },
  },
  test: {
    include: [
      "test/e2e/**/*.test.ts",
      "test/client/**/*.test.{ts,tsx}",
      "test/browser/**/*.test.ts",
      "test/package/**/*.test.ts",
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each file starts its own hub. One file at a time: on a 2-core machine two hubs plus a
    // browser starve each other, and timing-sensitive tests (backoff spacing, sweeps) flake.
    maxWorkers: 1,
  },
});
