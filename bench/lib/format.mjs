/** Number, spread, ratio and table formatting shared by every part of the report. */

export function num(x, digits) {
  if (x === null || x === undefined || !Number.isFinite(x)) return "-";
  const d = digits ?? (Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2);
  return x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
}

/** "median [min-max]" of a spread, or just the value when there is one repetition. */
export function ms(s, digits) {
  if (s.median === null) return "-";
  if (s.n <= 1 || s.min === s.max) return num(s.median, digits);
  return `${num(s.median, digits)} [${num(s.min, digits)}-${num(s.max, digits)}]`;
}

export function ratio(a, b) {
  if (a === null || b === null || a === undefined || b === undefined || b === 0) return null;
  return a / b;
}

export function ratioText(r) {
  return r === null ? "-" : `${num(r, 2)}x`;
}

export function table(header, rows) {
  const line = (cells) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

export const usd = (x) =>
  x === null || !Number.isFinite(x) ? "-" : `$${x.toLocaleString("en-US", { maximumFractionDigits: x < 100 ? 2 : 0 })}`;
