import type { ComponentChildren } from 'preact';

/** A table of records, one per row, under named columns; at a phone's width
 * each row becomes a card whose cells name their column (`data-label`). */
export function ListTable({ caption, columns, children }: { caption?: string; columns: readonly string[]; children: ComponentChildren }) {
  return (
    <table class="list">
      {caption && <caption class="visually-hidden">{caption}</caption>}
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column} scope="col">
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}
