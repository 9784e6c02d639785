// @ts-check
/**
 * The one definition of an id (user ids, and the id part of room names such as `order-<id>`),
 * in plain JavaScript so that the Worker, the console, the client and Node scripts share it.
 */

/**
 * 1-64 characters of `[A-Za-z0-9_-]`.
 *
 * @example
 * ID_PATTERN.test("kitchen-1"); // true
 * ID_PATTERN.test("a b"); // false
 */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The rule in words, for error messages: "sub must be " + ID_RULE. */
export const ID_RULE = "1-64 characters of A-Z, a-z, 0-9, _ or -";
