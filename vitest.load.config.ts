import { defineConfig } from "vitest/config";

// The load and crash test runs alone: it needs both cores, and timing-sensitive tests beside it would suffer.
export default defineConfig({
  test: {
    include: ["test/load/**/*.test.ts"],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    maxWorkers: 1,
  },
});
