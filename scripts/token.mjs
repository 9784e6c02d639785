// `npm run token -- --sub u1 --roles kitchen,staff [--name Kim] [--expires 3600]`: prints a
// development token signed with JWT_SECRET from the environment, .dev.vars or .dev.vars.example.
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { ID_PATTERN } from "../src/id-pattern.mjs";

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
const claims = values.name ? { roles, name: values.name } : { roles };
const token = await new SignJWT(claims)
  .setProtectedHeader({ alg: "HS256", typ: "JWT" })
  .setSubject(values.sub)
  .setIssuedAt()
  .setExpirationTime(Math.floor(Date.now() / 1000) + Number(values.expires))
  .sign(new TextEncoder().encode(secret));
console.log(token);
