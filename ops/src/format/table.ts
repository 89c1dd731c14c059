/** One column of a table: its header, how to read a cell from a row, and the widest it may grow. */
export interface Column<Row> {
  header: string;
  value: (row: Row) => unknown;
  /** Longer cells are cut with an ellipsis. */
  maxWidth?: number;
  align?: 'left' | 'right';
}

/** How a missing value reads in a table. */
export const EMPTY = '-';

/** A cell as one line of text: null and undefined read as `-`, objects as compact JSON. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined || value === '') return EMPTY;
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.replace(/\s*\n\s*/g, ' ');
}

export function truncate(text: string, width: number): string {
  if (width < 1) return '';
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, width - 1).join('')}…`;
}

const widthOf = (text: string): number => [...text].length;

/** Renders rows as an aligned plain-text table with a header line; ends with a newline. */
export function formatTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const cells = rows.map((row) =>
    columns.map((c) => {
      const text = cellText(c.value(row));
      return c.maxWidth === undefined ? text : truncate(text, c.maxWidth);
    }),
  );
  const widths = columns.map((c, i) => Math.max(widthOf(c.header), ...cells.map((r) => widthOf(r[i]!))));
  const line = (values: string[]) =>
    values
      .map((v, i) => {
        const pad = ' '.repeat(widths[i]! - widthOf(v));
        return columns[i]!.align === 'right' ? pad + v : v + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

/** Renders `label: value` lines with the values aligned; ends with a newline. */
export function formatFields(fields: readonly (readonly [string, unknown])[]): string {
  const width = Math.max(0, ...fields.map(([label]) => widthOf(label)));
  return fields.map(([label, value]) => `${label.padEnd(width)}  ${cellText(value)}`).join('\n') + '\n';
}
