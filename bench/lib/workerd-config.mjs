/**
 * Writes the config that `workerd serve` runs a Worker bundle with, in Cap'n Proto text against
 * the runtime's own schema (`workerd.capnp` in cloudflare/workerd, shipped in the `workerd` npm
 * package). The bench's stand-in for production: the bundle `wrangler deploy --dry-run --outdir`
 * wrote, with the bindings of its wrangler config:
 *
 * - every Durable Object namespace, on SQLite (`enableSql` for the classes of `new_sqlite_classes`)
 *   in a local directory (`durableObjectStorage.localDisk` over a writable `disk` service);
 * - `[vars]` and the secrets as `text` bindings;
 * - each `[[ratelimits]]` binding as a `wrapped` binding over the extension module
 *   bench/workers/rate-limiter.mjs (bare workerd has no Rate Limiting binding);
 * - one HTTP socket on `address`.
 *
 * No static assets: with `run_worker_first` for the hub's routes, Cloudflare sends those requests
 * straight to the Worker, as here.
 */

const RATE_LIMITER_MODULE = "roomcast-bench:rate-limiter";

/** A value written as `embed "file"`: the file's contents, read by workerd relative to the config. */
export const embed = (file) => ({ [EMBED]: file });
const EMBED = Symbol("embed");
/** The capnp `void` value (a union member without data). */
export const VOID = Symbol("void");

function text(value) {
  if (!/^[\x20-\x7e]*$/.test(value))
    throw new Error(`capnp text must be printable ASCII here: ${JSON.stringify(value)}`);
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** Cap'n Proto text for a JavaScript value: objects are structs, arrays lists. */
export function capnp(value, indent = "") {
  if (value === VOID) return "void";
  if (typeof value === "string") return text(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const inner = `${indent}  `;
    return `[\n${value.map((item) => `${inner}${capnp(item, inner)}`).join(",\n")}\n${indent}]`;
  }
  if (value && typeof value === "object") {
    if (EMBED in value) return `embed ${text(value[EMBED])}`;
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return "()";
    const inner = `${indent}  `;
    return `(\n${entries.map(([k, v]) => `${inner}${k} = ${capnp(v, inner)}`).join(",\n")}\n${indent})`;
  }
  throw new Error(`no capnp form for ${String(value)}`);
}

/**
 * The config file's text.
 *
 * @param {object} o
 * @param {string[]} o.modules file names of the bundle's modules, relative to the config file; the first is the main module
 * @param {object} o.wrangler the parsed wrangler config (wrangler's `unstable_readConfig`)
 * @param {Record<string, string>} o.secrets text bindings beside `[vars]` (they win over vars of the same name)
 * @param {string} o.address where to listen, e.g. "127.0.0.1:8787"
 * @param {string} o.storageDir the Durable Objects' SQLite files (absolute)
 * @param {string} [o.rateLimiter] the rate limiter module's file, relative to the config file
 */
export function workerdConfig({ modules, wrangler, secrets, address, storageDir, rateLimiter }) {
  const sqlite = new Set((wrangler.migrations ?? []).flatMap((m) => m.new_sqlite_classes ?? []));
  const classes = (wrangler.durable_objects?.bindings ?? []).filter((b) => !b.script_name);
  const rateLimits = wrangler.ratelimits ?? [];
  if (rateLimits.length > 0 && !rateLimiter)
    throw new Error("the config has rate limits: pass the rate limiter module");
  const textBindings = { ...(wrangler.vars ?? {}), ...secrets };
  const bindings = [
    ...classes.map((b) => ({ name: b.name, durableObjectNamespace: { className: b.class_name } })),
    ...Object.entries(textBindings).map(([name, value]) => ({
      name,
      text: typeof value === "string" ? value : JSON.stringify(value),
    })),
    ...rateLimits.map((r) => ({
      name: r.name,
      wrapped: {
        moduleName: RATE_LIMITER_MODULE,
        innerBindings: [
          { name: "limit", json: String(r.simple.limit) },
          { name: "period", json: String(r.simple.period) },
        ],
      },
    })),
  ];
  const worker = {
    modules: modules.map((file) => ({ name: file, esModule: embed(file) })),
    compatibilityDate: wrangler.compatibility_date,
    compatibilityFlags: wrangler.compatibility_flags ?? [],
    bindings,
    durableObjectNamespaces: [...new Set(classes.map((b) => b.class_name))].map((className) => ({
      className,
      uniqueKey: `${wrangler.name}-${className}`,
      enableSql: sqlite.has(className),
    })),
    durableObjectStorage: classes.length > 0 ? { localDisk: "storage" } : undefined,
  };
  const config = {
    services: [
      { name: "main", worker },
      ...(classes.length > 0 ? [{ name: "storage", disk: { path: storageDir, writable: true } }] : []),
    ],
    sockets: [{ name: "http", address, http: {}, service: "main" }],
    extensions:
      rateLimits.length > 0
        ? [{ modules: [{ name: RATE_LIMITER_MODULE, internal: true, esModule: embed(rateLimiter) }] }]
        : undefined,
  };
  return [
    "# Generated by bench/lib/workerd-config.mjs for one trial.",
    'using Workerd = import "/workerd/workerd.capnp";',
    "",
    `const config :Workerd.Config = ${capnp(config)};`,
    "",
  ].join("\n");
}
