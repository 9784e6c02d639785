/**
 * The hub's log lines: each is one JSON object, `{ level, event, where, kind?, code?, error? }`,
 * so an operator can filter and alert on fields (README "Operating it" lists the lines worth an
 * alert). Never a token, a user id or name, a room's id, a message body or a URL: `kind` is the
 * room's kind (`order`, `user`, ...), never its name, and `error` is the error's class and first
 * 200 characters of its message.
 */
import { describeError } from "../describe-error";

export interface LogLine {
  /** What happened, e.g. `room.send_failed`. */
  event: string;
  /** The entry point or component it happened in, e.g. `room.fetch`. */
  where: string;
  /** The room kind, when it happened in a room. */
  kind?: string;
  /** An error or close code. */
  code?: string | number;
  /** The error that caused it. */
  error?: unknown;
}

const MAX_ERROR_LENGTH = 200;

function write(level: "error" | "warn" | "info", line: LogLine): void {
  const { error, ...fields } = line;
  const entry: Record<string, unknown> = { level, ...fields };
  if (error !== undefined) entry.error = describeError(error).slice(0, MAX_ERROR_LENGTH);
  const text = JSON.stringify(entry);
  if (level === "error") console.error(text);
  else if (level === "warn") console.warn(text);
  else console.info(text);
}

export const log = {
  error: (line: LogLine) => write("error", line),
  warn: (line: LogLine) => write("warn", line),
  info: (line: LogLine) => write("info", line),
};
