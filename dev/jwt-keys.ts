/**
 * Local JWT signing keys: the JWT_SIGNING_KEYS secret's format, a JSON array
 * of {kid, secret}. Two keys, as in production during a rotation: the first
 * signs, both verify. `npm run dev` keeps them in .data/ so tokens survive a
 * restart; tests and benchmarks make fresh ones.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export function generateSigningKeys(): string {
  const stamp = new Date().toISOString().slice(0, 10);
  return JSON.stringify([
    { kid: `${stamp}-a`, secret: randomBytes(32).toString("base64url") },
    { kid: `${stamp}-b`, secret: randomBytes(32).toString("base64url") },
  ]);
}

export function persistentSigningKeys(path: string): string {
  if (existsSync(path)) return readFileSync(path, "utf8");
  const keys = generateSigningKeys();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, keys, { mode: 0o600 });
  return keys;
}
