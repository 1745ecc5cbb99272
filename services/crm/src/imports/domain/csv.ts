/**
 * RFC 4180 CSV: comma-separated, fields optionally in double quotes (a quote inside is doubled,
 * quoted fields may hold commas and line breaks), CRLF or LF line ends, an optional UTF-8 BOM.
 * Each row keeps the line number it starts on, for the rejection report.
 */
export interface CsvRow {
  /** 1-based line of the file where the row starts (the header is line 1). */
  readonly line: number;
  readonly cells: readonly string[];
}

export type CsvResult =
  | { readonly ok: true; readonly rows: CsvRow[] }
  | { readonly ok: false; readonly line: number; readonly message: string };

export function parseCsv(text: string, delimiter = ','): CsvResult {
  const input = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const rows: CsvRow[] = [];
  let cells: string[] = [];
  let cell = '';
  let line = 1;
  let rowLine = 1;
  let quoted = false;
  let cellStarted = false;
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (quoted) {
      if (c === '"') {
        if (input[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        cell += c;
      }
      continue;
    }
    if (c === '"') {
      if (cellStarted && cell.trim().length > 0)
        return { ok: false, line, message: 'a quote inside an unquoted field' };
      quoted = true;
      cellStarted = true;
      cell = '';
    } else if (c === delimiter) {
      cells.push(cell);
      cell = '';
      cellStarted = false;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && input[i + 1] === '\n') i++;
      cells.push(cell);
      if (cells.length > 1 || (cells[0] ?? '').length > 0) rows.push({ line: rowLine, cells });
      cells = [];
      cell = '';
      cellStarted = false;
      line++;
      rowLine = line;
    } else {
      cell += c;
      cellStarted = true;
    }
  }
  if (quoted) return { ok: false, line: rowLine, message: 'a quoted field is not closed' };
  if (cellStarted || cells.length > 0) {
    cells.push(cell);
    rows.push({ line: rowLine, cells });
  }
  return { ok: true, rows };
}

/** "First Name", "first_name", "firstname" → "firstname": how headers are matched to fields. */
export function headerKey(header: string): string {
  return header
    .trim()
    .toLowerCase()
    .replace(/[\s_\-.]+/g, '');
}
