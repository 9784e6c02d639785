/**
 * How schema errors read on the hub: "Too small: expected >=1 but received 0". Messages given in
 * a schema (such as "must be an ISO 4217 code") win. Hub-side only; every module of the hub that
 * reports a schema error to a caller imports this once.
 */
import * as v from "valibot";

v.setGlobalMessage((issue) => {
  switch (issue.type) {
    case "min_length":
    case "min_value":
      return `Too small: expected ${issue.expected} but received ${issue.received}`;
    case "max_length":
    case "max_value":
      return `Too big: expected ${issue.expected} but received ${issue.received}`;
    case "strict_object":
      if (issue.expected === "never") return `Unrecognized key: ${issue.received}`;
      return issue.message;
    default:
      return issue.message;
  }
});
