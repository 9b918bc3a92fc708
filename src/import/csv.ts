// CSV reading for the task-assignment table: byte decoding (UTF-8, UTF-16, or GBK/GB18030 as Excel saves it in
// Chinese offices) and an RFC 4180 parser (quoted fields, embedded commas/newlines, doubled quotes, CRLF).

/**
 * Bytes to text. A UTF-8 or UTF-16 BOM decides; otherwise strict UTF-8 is tried and, when the bytes are not
 * valid UTF-8, GB18030 (a superset of GBK/GB2312, which is what Excel writes for "CSV" on Chinese Windows).
 */
export function decodeText(bytes: Uint8Array): { text: string; encoding: 'utf-8' | 'utf-16le' | 'utf-16be' | 'gb18030' } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: 'utf-8' };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le' };
  }
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be' };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: new TextDecoder('gb18030').decode(bytes), encoding: 'gb18030' };
  }
}

export interface CsvRow {
  /** 1-based record number: the row number Excel shows (a quoted newline does not start a new row). */
  rowNumber: number;
  cells: string[];
}

/**
 * Parse CSV text into records. The delimiter is ',' unless the first line has more tabs than commas (Excel's
 * "Unicode text" export) or more semicolons. A stray quote inside an unquoted field is kept as text.
 */
export function parseCsv(text: string): CsvRow[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const count = (ch: string) => firstLine.split(ch).length - 1;
  const delim = count('\t') > count(',') ? '\t' : count(';') > count(',') ? ';' : ',';

  const rows: CsvRow[] = [];
  let cells: string[] = [];
  let field = '';
  let inQuotes = false;
  let fieldStarted = false; // a quote only opens a quoted field at the very start of the field
  const endField = () => {
    cells.push(field);
    field = '';
    fieldStarted = false;
  };
  const endRow = () => {
    endField();
    rows.push({ rowNumber: rows.length + 1, cells });
    cells = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else field += c;
      continue;
    }
    if (c === '"' && !fieldStarted) {
      inQuotes = true;
      fieldStarted = true;
    } else if (c === delim) {
      endField();
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (field !== '' || cells.length > 0 || inQuotes) endRow();
  return rows;
}

/** One CSV field, quoted when needed (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) || /^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Records to CSV text with CRLF line ends (what Excel writes and expects). */
export function formatCsv(rows: string[][]): string {
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
