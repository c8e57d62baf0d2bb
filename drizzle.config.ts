import { defineConfig } from "drizzle-kit";

// `npm run db:generate` diffs schema/tables.ts against the last snapshot and
// writes SQL into schema/migrations. Row-level security lives in hand-written
// migrations made with `drizzle-kit generate --custom`.
export default defineConfig({
  dialect: "postgresql",
  schema: "./schema/tables.ts",
  out: "./schema/migrations",
  dbCredentials: { url: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres" },
});
