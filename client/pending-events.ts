/**
 * Events the hooks already use but `src/protocol.ts` does not define yet (live users, support
 * chat). Their server payloads are `unknown` on purpose: the hooks parse them defensively
 * (see pending-payloads.ts). As soon as the protocol defines one of these names, its definition
 * wins (the maps in events.ts omit protocol names), and the entry here should be deleted.
 * Until the hub knows them, emitting a client event from here is answered with `unknown_event`.
 */

/**
 * Server events not in the protocol yet; data is whatever the hub sends.
 *
 * @example
 * socket.on("live-users-update", (data) => console.log(readLiveUsers(data)));
 */
export interface PendingServerEventPayloads {
  /** To `admin-dashboard`: who is online. */
  "live-users-update": unknown;
  /** To `support-{userId}`: one chat message. */
  "chat:message": unknown;
  /** To `support-{userId}`: earlier messages, on join. */
  "chat:history": unknown;
  /** To `support-{userId}`: someone started or stopped typing. */
  "chat:typing": unknown;
}

/**
 * Client events not in the protocol yet, with the payloads the hooks send.
 *
 * @example
 * socket.to("support-42").emit("chat:typing", { typing: true });
 */
export interface PendingClientEventPayloads {
  /** `clientMessageId` lets the hub store a retried message once. */
  "chat:message": { text: string; clientMessageId: string };
  "chat:typing": { typing: boolean };
}

/**
 * Ack results of the pending client events: unknown until the protocol defines them.
 *
 * @example
 * const stored: PendingClientEventAcks["chat:message"] = await socket
 *   .to("support-42")
 *   .emitWithAck("chat:message", { text: "hi", clientMessageId: crypto.randomUUID() });
 */
export interface PendingClientEventAcks {
  "chat:message": unknown;
  "chat:typing": unknown;
}
