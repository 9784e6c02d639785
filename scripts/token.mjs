// `npm run token -- --sub u1 --roles kitchen,staff [--name Kim] [--expires 3600]`: prints a
// development token signed with JWT_SECRET from the environment, .dev.vars or .dev.vars.example.
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ID_PATTERN } from "../src/id-pattern.mjs";
import { signToken } from "../src/sign-token.mjs";

const { values } = parseArgs({
  options: {
    sub: { type: "string" },
    roles: { type: "string", default: "" },
    name: { type: "string" },
    expires: { type: "string", default: "3600" },
  },
});

function devSecret() {
  if (process.env.JWT_SECRET) return process.env.JWT_SECRET;
  for (const file of [".dev.vars", ".dev.vars.example"]) {
    if (!existsSync(file)) continue;
    const line = readFileSync(file, "utf8")
      .split("\n")
      .find((entry) => entry.startsWith("JWT_SECRET="));
    if (line) return line.slice("JWT_SECRET=".length).trim();
  }
  return null;
}

const secret = devSecret();
if (!values.sub || !ID_PATTERN.test(values.sub)) {
  console.error("usage: npm run token -- --sub <user id> [--roles kitchen,staff] [--name Kim] [--expires 3600]");
  process.exit(2);
}
if (!secret) {
  console.error("JWT_SECRET is not set: export it, or create .dev.vars (npm start does) from .dev.vars.example");
  process.exit(2);
}
const roles = values.roles
  ? values.roles
      .split(",")
      .map((role) => role.trim())
      .filter(Boolean)
  : [];
console.log(await signToken(secret, { sub: values.sub, roles, name: values.name, expiresIn: Number(values.expires) }));
