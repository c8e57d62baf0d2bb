import type { ReactNode } from "react";

/** A table with one row of column headings (scope="col", so a screen reader names each cell); `children` are its rows. */
export function Table({ columns, children }: { columns: string[]; children: ReactNode }) {
  return (
    <table>
      <thead>
        <tr>
          {columns.map((column) => (
            <th scope="col" key={column}>
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}
