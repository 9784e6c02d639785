/** Ids inside room names and user ids: 1-64 characters of `[A-Za-z0-9_-]` (one definition, in plain JavaScript for Node scripts). */
export { ID_PATTERN, ID_RULE } from "./id-pattern.mjs";

/** Epochs are short random hex strings. */
export const EPOCH_PATTERN = /^[0-9a-f]{1,32}$/;

/** Ids the hub gives notifications sent without one; backend ids may not start with it. */
export const GENERATED_NOTIFICATION_ID_PREFIX = "hub:";
