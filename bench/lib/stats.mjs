/** Small helpers for figures across repetitions, and the latency summary of a histogram. */
import * as hdr from "hdr-histogram-js";

export function median(values) {
  const xs = values.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** { median, min, max, n } of the finite numbers. */
export function spread(values) {
  const xs = values.filter((x) => typeof x === "number" && Number.isFinite(x));
  if (xs.length === 0) return { median: null, min: null, max: null, n: 0 };
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

export function decodeHistogram(base64) {
  return hdr.decodeFromCompressedBase64(base64, 32, false);
}

/** Latency figures in milliseconds from a histogram recorded in microseconds. */
export function latencySummary(histogram) {
  if (!histogram || histogram.totalCount === 0) {
    return { count: 0, p50: null, p90: null, p99: null, p999: null, max: null, mean: null };
  }
  const ms = (us) => us / 1000;
  return {
    count: histogram.totalCount,
    p50: ms(histogram.getValueAtPercentile(50)),
    p90: ms(histogram.getValueAtPercentile(90)),
    p99: ms(histogram.getValueAtPercentile(99)),
    p999: ms(histogram.getValueAtPercentile(99.9)),
    max: ms(histogram.maxValue),
    mean: ms(histogram.mean),
  };
}

/** Adds several encoded histograms into one (for the chart: all repetitions of a target). */
export function mergeHistograms(encoded) {
  let total = null;
  for (const base64 of encoded) {
    if (!base64) continue;
    const h = decodeHistogram(base64);
    if (total === null) total = h;
    else total.add(h);
  }
  return total;
}

/** Percent of a histogram's values (us) above `thresholdUs`, found by bisecting its percentiles. */
export function percentAbove(histogram, thresholdUs) {
  if (!histogram || histogram.totalCount === 0) return null;
  if (histogram.maxValue <= thresholdUs) return 0;
  let lo = 0;
  let hi = 100;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (histogram.getValueAtPercentile(mid) > thresholdUs) hi = mid;
    else lo = mid;
  }
  return 100 - hi;
}
