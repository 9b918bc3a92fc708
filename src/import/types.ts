// Shapes shared by the import readers (xlsx, csv, json) and the task-table parser.

import { DubanError } from '../domain/errors.js';

/** A cell as read from a file: text, number, Excel date, boolean, or empty. */
export type CellValue = string | number | boolean | Date | null;

export interface SheetRow {
  /** The row number the office sees in Excel (1-based), or the item number in a JSON array. */
  rowNumber: number;
  cells: CellValue[];
}

/** A file-level problem: nothing was read, nothing is written. */
export class ImportFileError extends DubanError {
  constructor(message: string) {
    super('import_file', message);
  }
}

/** A problem with one row; `message` is the full Chinese sentence `第N行：…，…`. */
export interface RowError {
  row: number;
  message: string;
}
