/**
 * How the hub closes a socket. The runtime leaves the TCP connection open after a
 * server-initiated close handshake, so clients would only see the close when their own timeout
 * ends (about 10 s in Node and browsers): a `closing` frame goes first, for them to act on at once.
 */

/** Closes a socket the hub decided to close, with a `closing` frame first. */
export function closeByHub(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.send(JSON.stringify({ event: "closing", data: { code, reason } }));
  } catch {
    // The socket is already gone; closing below is all that is left.
  }
  closeQuietly(ws, code, reason);
}

/** Closes a socket, ignoring that it may already be closed or closing. */
export function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // Already closed or closing: nothing left to do for this socket.
  }
}
