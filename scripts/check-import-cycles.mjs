// `node scripts/check-import-cycles.mjs src client web`: fails when a file imports, directly or
// through others, a file that imports it (type-only imports included: they tie modules just the
// same for a reader). Relative imports only; packages cannot form a cycle with our files.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const EXTENSIONS = [".ts", ".tsx", ".mts", ".mjs", ".js"];
const IMPORT =
  /^\s*(?:import|export)\s[^;]*?from\s+["'](\.[^"']+)["']|^\s*import\s+["'](\.[^"']+)["']|\bimport\(\s*["'](\.[^"']+)["']\s*\)/gm;

function sourceFiles(dir) {
  const files = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path));
    else if (EXTENSIONS.some((extension) => name.endsWith(extension)) && !name.endsWith(".d.ts")) files.push(path);
  }
  return files;
}

function resolveImport(from, specifier) {
  const base = resolve(dirname(from), specifier);
  const stem = base.replace(/\.(m?js)$/, "");
  const candidates = [base, ...EXTENSIONS.map((extension) => stem + extension)];
  candidates.push(...EXTENSIONS.map((extension) => join(base, `index${extension}`)));
  return candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
}

const roots = process.argv.slice(2);
const files = roots.flatMap((root) => sourceFiles(resolve(root)));
const graph = new Map();
for (const file of files) {
  const text = readFileSync(file, "utf8");
  const targets = new Set();
  for (const match of text.matchAll(IMPORT)) {
    const target = resolveImport(file, match[1] ?? match[2] ?? match[3]);
    if (target) targets.add(target);
  }
  graph.set(file, targets);
}

// Depth-first search; a grey node reached again closes a cycle.
const state = new Map();
const cycles = [];
function visit(file, path) {
  state.set(file, "grey");
  path.push(file);
  for (const next of graph.get(file) ?? []) {
    if (state.get(next) === "grey") cycles.push([...path.slice(path.indexOf(next)), next]);
    else if (!state.has(next)) visit(next, path);
  }
  path.pop();
  state.set(file, "black");
}
for (const file of graph.keys()) if (!state.has(file)) visit(file, []);

if (cycles.length > 0) {
  for (const cycle of cycles) {
    console.error(`import cycle: ${cycle.map((file) => relative(process.cwd(), file)).join(" -> ")}`);
  }
  process.exit(1);
}
console.log(`no import cycles in ${files.length} files (${roots.join(", ")})`);
