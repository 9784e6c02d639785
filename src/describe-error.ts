/** Names an error for a log line: its class and message, never a stack or the values it carried. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
