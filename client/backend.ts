/**
 * `roomcast/publisher`: what backends use, the publisher and its outbox.
 */
export { createOutbox, type Outbox, type OutboxEntry, type OutboxSend, type OutboxStore } from "./outbox.js";
export {
  type BroadcastOperator,
  createPublisher,
  type MembershipResult,
  PUBLISHER_RETRY_DEFAULTS,
  PublishError,
  type Publisher,
  type PublisherOptions,
  type PublisherRetryOptions,
  type PublishOptions,
  type PublishResult,
} from "./publisher.js";
