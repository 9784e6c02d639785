import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Tests inside the Workers runtime, against the real Worker and Durable Objects of wrangler.toml.
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        // Test-only secrets; the suite signs its tokens with these.
        bindings: {
          JWT_SECRET: "test-jwt-secret-0123456789abcdef0123456789abcdef",
          BROADCAST_SECRET: "test-broadcast-secret-0123456789abcdef0123456789",
          ALLOWED_ORIGINS: "https://app.roomcast.test",
          ENVIRONMENT: "test",
          // Presence drops silent connections after 3 s instead of 90 s, so that sweeps can be tested.
          PRESENCE_STALE_AFTER_MS: "3000",
          // New pool-staff objects are placed in Oceania, so that the kind's default can be seen.
          ROOM_LOCATION_HINTS: '{"pool":"oc"}',
        },
      },
    }),
  ],
  test: {
    include: ["test/workers/**/*.test.ts"],
    testTimeout: 20_000,
  },
});
