import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { decodeText, formatCsv, parseCsv } from '../../src/import/csv.js';

const cells = (text: string) => parseCsv(text).map((r) => r.cells);

describe('parseCsv', () => {
  it('reads plain, quoted, embedded comma/newline and doubled-quote fields', () => {
    expect(cells('a,b,c\n1,"x, y","say ""hi"""\n')).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x, y', 'say "hi"'],
    ]);
    expect(cells('a,"line1\r\nline2",c\r\nd,e,f')).toEqual([
      ['a', 'line1\r\nline2', 'c'],
      ['d', 'e', 'f'],
    ]);
  });

  it('numbers records as Excel shows rows: a quoted newline does not add a row, a blank line does', () => {
    const rows = parseCsv('h1,h2\r\n"a\nb",c\r\n\r\nd,e\r\n');
    expect(rows.map((r) => r.rowNumber)).toEqual([1, 2, 3, 4]);
    expect(rows[2]!.cells).toEqual(['']);
    expect(rows[3]!.cells).toEqual(['d', 'e']);
  });

  it('strips a BOM, keeps empty fields and a last line without newline', () => {
    expect(cells('\uFEFF序号,任务\n,\n4.1.2,x')).toEqual([['序号', '任务'], ['', ''], ['4.1.2', 'x']]);
  });

  it('keeps a quote in the middle of an unquoted field as text', () => {
    expect(cells('a"b,c')).toEqual([['a"b', 'c']]);
  });

  it('detects tab- and semicolon-separated files', () => {
    expect(cells('a\tb\tc\n1\t2,5\t3')).toEqual([['a', 'b', 'c'], ['1', '2,5', '3']]);
    expect(cells('a;b;c\n1;2;3')).toEqual([['a', 'b', 'c'], ['1', '2', '3']]);
  });

  it('an unterminated quote runs to the end of the file', () => {
    expect(cells('a,"b\nc')).toEqual([['a', 'b\nc']]);
  });

  it('formatCsv round-trips through parseCsv', () => {
    const data = [['序号', '任务'], ['4.1.2', '含,逗号\n和换行 "引号"'], [' 前后空格 ', '']];
    expect(cells(formatCsv(data))).toEqual(data);
  });
});

describe('decodeText', () => {
  it('decodes UTF-8 with and without BOM', () => {
    const bytes = new TextEncoder().encode('序号,任务');
    expect(decodeText(bytes)).toEqual({ text: '序号,任务', encoding: 'utf-8' });
    expect(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, ...bytes])).text).toBe('序号,任务');
  });

  it('falls back to GB18030 for GBK files saved by Excel', () => {
    const { text, encoding } = decodeText(fs.readFileSync('test/fixtures/gbk-table.csv'));
    expect(encoding).toBe('gb18030');
    expect(text).toContain('序号,重点任务,牵头单位');
    expect(text).toContain('长期坚持扬尘管控');
  });

  it('decodes UTF-16LE with BOM', () => {
    const s = '序号\t任务';
    const buf = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]);
    expect(decodeText(buf)).toEqual({ text: s, encoding: 'utf-16le' });
  });
});
