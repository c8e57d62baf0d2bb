import { sql } from "drizzle-orm";
import type { Database } from "../../schema/db";

/** A real round trip to Postgres that touches no tenant data. */
export async function pingPostgres(db: Database): Promise<void> {
  await db.execute(sql`select 1`);
}
