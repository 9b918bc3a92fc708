// The one result vocabulary: a step that can fail in an expected way returns Result instead of throwing.
// The failure is usually the Chinese sentence for the person (E = string), or a code the caller turns into one.

export type Ok<T> = { ok: true; value: T };
export type Err<E = string> = { ok: false; error: E };
export type Result<T, E = string> = Ok<T> | Err<E>;

export const ok = <T>(value: T): Ok<T> => ({ ok: true, value });
export const err = <E = string>(error: E): Err<E> => ({ ok: false, error });

