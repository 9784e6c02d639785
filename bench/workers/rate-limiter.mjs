/**
 * The platform's Rate Limiting binding (`[[ratelimits]]` in wrangler.toml) for bare workerd, which
 * has no such binding: a workerd extension module behind a wrapped binding, so the hub's code runs
 * unchanged and pays for a `limit()` call as it does on Cloudflare. Each binding counts per key in
 * fixed windows of `period` seconds, in the memory of the one workerd process (Cloudflare counts per
 * location, also approximately).
 */
export default function rateLimiter({ limit, period }) {
  let windowStart = 0;
  let counts = new Map();
  return {
    async limit({ key }) {
      const now = Date.now();
      if (now - windowStart >= period * 1000) {
        windowStart = now;
        counts = new Map();
      }
      const used = (counts.get(key) ?? 0) + 1;
      counts.set(key, used);
      return { success: used <= limit };
    },
  };
}
