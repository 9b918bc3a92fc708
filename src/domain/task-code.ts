// Task codes `章.节.序号` as people and tables write them: the one normaliser used by chat commands and imports.

/**
 * Normalise a task code: full-width digits (NFKC), `。` `、` `，` `．` as separators, spaces dropped, a leading
 * 任务/编号/第 removed, trailing dots removed and leading zeros of each part dropped ("04.01.02" → "4.1.2").
 */
export function normaliseTaskCode(raw: string): string {
  return raw
    .normalize('NFKC')
    .replace(/\s+/g, '')
    .replace(/[。、，,．]/g, '.')
    .replace(/^(任务|编号|第)/, '')
    .replace(/\.+$/, '')
    .split('.')
    .map((p) => (/^\d+$/.test(p) ? String(Number(p)) : p))
    .join('.');
}

export function isTaskCode(s: string): boolean {
  return /^\d{1,2}\.\d{1,2}\.\d{1,3}$/.test(s);
}

/** A section code `章.节` ("4.1"), after normalisation. */
export function isSectionCode(s: string): boolean {
  return /^\d{1,2}\.\d{1,2}$/.test(s);
}
