// The one error vocabulary: every error duban throws on purpose is a DubanError with a stable code and a message
// (Chinese first) the person reading it can act on; `hint` says what to do when the message itself does not.
// Edges (CLI exit codes, start-up, logs) branch on `code`, not on a chain of instanceof checks.

/** Every code in use. Codes are stable: logs and operators may rely on them; add new ones, never rename. */
export const ERROR_CODES = [
  /** Environment variables are missing or invalid (ConfigError). */
  'config_invalid',
  /** The database file cannot be opened or migrated (DatabaseOpenError). */
  'database_open_failed',
  /** A plan file (JSON) breaks the plan rules; nothing was written (PlanValidationError). */
  'plan_invalid',
  /** Which plan, or its live day, cannot be resolved (PlanLiveError). */
  'plan_live',
  /** An import file cannot be read as a whole; nothing was read or written (ImportFileError). */
  'import_file',
  /** A deadline text (完成时限) has no known form (DeadlineTextError). */
  'deadline_unparseable',
  /** A reminder policy fails validation; the stored one is kept (PolicyError). */
  'policy_invalid',
  /** A backup cannot be made or checked (BackupError). */
  'backup_failed',
  /** A CLI command was called the wrong way; the CLI exits 2 with the usage line (CliUsageError). */
  'cli_usage',
  /** A board query or page the reader may not or cannot see; carries an HTTP status (BoardInputError). */
  'board_input',
  /** An encrypted Feishu body cannot be decrypted (DecryptError). */
  'decrypt_failed',
  /** No contact directory: Feishu credentials are not configured (ContactDirectoryUnavailable). */
  'contact_directory_unavailable',
  /** A stored outbox card cannot be rendered (StoredCardError). */
  'stored_card_invalid',
  /** Feishu answered with an HTTP error or a body that is not JSON (HttpError). */
  'lark_http',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface DubanErrorOptions {
  /** What to do about it, Chinese first; only when the message does not already say so. */
  hint?: string;
  cause?: unknown;
}

export class DubanError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, options: DubanErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options.hint !== undefined) this.hint = options.hint;
  }
}

const CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** True for any DubanError (also one from another copy of this module, e.g. a second bundle: judged by its code). */
export function isDubanError(e: unknown): e is DubanError {
  if (e instanceof DubanError) return true;
  const code: unknown = e instanceof Error ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' && CODES.has(code);
}

/** The code of a DubanError, undefined for anything else. */
export function errorCode(e: unknown): ErrorCode | undefined {
  return isDubanError(e) ? e.code : undefined;
}

/** The message, then the hint on its own line when there is one: what an operator should read. */
export function describeError(e: DubanError): string {
  return e.hint ? `${e.message}\n${e.hint}` : e.message;
}
