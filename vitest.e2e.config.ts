import { defineConfig } from "vitest/config";

// Node-side tests against a real `wrangler dev` (started by each test file) and the client library.
export default defineConfig({
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
