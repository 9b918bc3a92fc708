// CSV injection (OWASP "CSV Injection"): a cell that starts with = + - @ (or tab / carriage return) is evaluated as a
// formula by Excel, WPS and LibreOffice (=HYPERLINK(...), =cmd|...). Text from users and imported tables ends up in
// the exported 台账, so every such cell is prefixed with a single quote, which makes the program show it as text.
//
// Decision: plain numeric literals ("-5", "+3", "-0.5") are left alone: no spreadsheet evaluates them as anything but
// the number, and the office reads them (percentages, metric values) as numbers. Everything else that starts with a
// trigger character, including "-1+1" and "=1", is prefixed.
//
// It lives beside the CSV codec (./csv.ts) that both directions share: export/ writes with it, import/ reads with it,
// and export/ → import/ is the one allowed direction between the two.

const TRIGGER = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?\d+(\.\d+)?$/;

/** Pure: the cell as it must be written to a CSV file. */
export function csvSafeCell(value: unknown): string {
  const s = value === null || value === undefined ? '' : String(value);
  if (!TRIGGER.test(s) || PLAIN_NUMBER.test(s)) return s;
  return `'${s}`;
}

/** Pure: the inverse for a cell read back from a CSV file we (or a careful person) wrote: drop the guarding quote. */
export function csvUnguardCell(s: string): string {
  return s.length > 1 && s[0] === "'" && TRIGGER.test(s.slice(1)) && !PLAIN_NUMBER.test(s.slice(1)) ? s.slice(1) : s;
}
