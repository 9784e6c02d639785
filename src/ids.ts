/** Ids inside room names and user ids: 1-64 characters of `[A-Za-z0-9_-]`. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Epochs are short random hex strings. */
export const EPOCH_PATTERN = /^[0-9a-f]{1,32}$/;
