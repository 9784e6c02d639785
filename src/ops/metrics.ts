/**
 * Operational metrics through a Workers Analytics Engine dataset (`METRICS` in wrangler.toml).
 * Each data point: `indexes: [kind]`, `blobs: [metric, kind, code]`, `doubles: [1, value]`, so a
 * query sums `_sample_interval * double1` for counts and `double2` for values (README "Metrics"
 * has the table and a query). Blobs hold only fixed vocabularies (metric names, room kinds,
 * error and close codes): never a user id, a name or a room's id.
 */

export type Metric =
  /** A socket was accepted. */
  | "connection_opened"
  /** A socket closed; code: the close code. */
  | "connection_closed"
  /** An upgrade was refused; code: the error code. */
  | "upgrade_refused"
  /** A backend's event went out; value: sockets it reached. code: `duplicate` for a repeated id. */
  | "publish"
  /** A resume was answered; code: `recovered` or the `notRecovered` reason; value: events replayed. */
  | "replay"
  /** A client frame was refused; code: the error code. */
  | "frame_refused"
  /** A personal room's snapshot reached presence; value: the user's connections. */
  | "presence_report"
  /** A webhook delivery; code: `delivered`, `retrying` or `dropped`. */
  | "webhook";

export interface MetricPoint {
  /** The room kind (`order`, `user`, ...), or `worker` / `presence`. */
  kind: string;
  code?: string | number;
  value?: number;
}

/** Writes one data point; a missing binding or a failing write never affects the hub. */
export function recordMetric(dataset: AnalyticsEngineDataset | undefined, metric: Metric, point: MetricPoint): void {
  if (!dataset) return;
  try {
    dataset.writeDataPoint({
      indexes: [point.kind],
      blobs: [metric, point.kind, point.code === undefined ? "" : String(point.code)],
      doubles: [1, point.value ?? 0],
    });
  } catch {
    // Metrics are best effort by design: the platform may drop points too.
  }
}
