/**
 * Keyset paging over a room's SQLite table: the newest rows whose key is below a cursor, and
 * whether older ones remain. Used for chat history (keyed by seq) and the agents' conversation
 * list (keyed by updated_at); the key must be unique, so that a cursor is exact.
 */
export interface PageQuery {
  /** Table name and selected columns: constants of the caller, never input. */
  table: string;
  columns: string;
  /** A unique, increasing column. */
  key: string;
}

export function pageBefore<Row extends Record<string, SqlStorageValue>>(
  sql: SqlStorage,
  query: PageQuery,
  before: number | undefined,
  limit: number,
): { rows: Row[]; hasMore: boolean } {
  const rows = sql
    .exec<Row>(
      `SELECT ${query.columns} FROM ${query.table} WHERE ${query.key} < ? ORDER BY ${query.key} DESC LIMIT ?`,
      before ?? Number.MAX_SAFE_INTEGER,
      limit + 1,
    )
    .toArray();
  return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
}
