import { type Column, getTableColumns, type SQL, sql, type Table } from "drizzle-orm";

/**
 * The column list and the typed value list of one row, for writing
 * `insert into t (columns) select values from …` — how a statement inserts a
 * row only when another part of it found something (a data-modifying CTE).
 * Each value is cast to its column's type: in a SELECT list Postgres would
 * otherwise read a bound parameter as text.
 */
export function rowForInsertSelect<T extends Table>(
  table: T,
  values: Partial<T["$inferInsert"]>,
): { columns: SQL; values: SQL } {
  const all = getTableColumns(table) as Record<string, Column>;
  const keys = Object.keys(values).filter((key) => values[key as keyof typeof values] !== undefined);
  const columns = keys.map((key) => {
    const column = all[key];
    if (!column) throw new Error(`${key} is not a column`);
    return column;
  });
  return {
    columns: sql.join(
      columns.map((column) => sql.identifier(column.name)),
      sql`, `,
    ),
    values: sql.join(
      columns.map((column, i) => {
        const value = values[keys[i] as keyof typeof values];
        return sql`${value === null ? null : sql.param(value, column)}::${sql.raw(column.getSQLType())}`;
      }),
      sql`, `,
    ),
  };
}
