// 佐证材料 (evidence), the pure part: which files a message carries, which files are accepted (size and type
// limits with a Chinese reason), and the rules that place a file on an assignment.
import { err, ok, type Result } from './result.js';

/** A downloadable file in a message: `type` is the message-resource API's `type` parameter. */
export interface Attachment {
  fileKey: string;
  type: 'image' | 'file';
  kind: 'image' | 'file' | 'media';
  /** The file name Feishu gives (files, media); images get one made up from the key. */
  name: string | null;
}

/** How long after a progress report a file from the same person counts as that report's evidence. */
export const EVIDENCE_WINDOW_MS = 10 * 60_000;
/** Default size limit (EVIDENCE_MAX_MB). */
export const DEFAULT_MAX_MB = 20;
/** Files one message may carry (a post with many images). */
export const MAX_FILES_PER_MESSAGE = 20;

const IMAGE_EXT = ['jpg', 'jpeg', 'png', 'gif', 'webp', 'bmp', 'heic', 'heif', 'tif', 'tiff'];
const DOC_EXT = ['pdf', 'ofd', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'wps', 'et', 'dps', 'txt', 'csv', 'rtf', 'odt', 'ods', 'odp'];
const ARCHIVE_EXT = ['zip', 'rar', '7z'];
const VIDEO_EXT = ['mp4', 'mov', 'm4v', '3gp'];
/** Accepted extensions, as stated in README "Evidence". */
export const ACCEPTED_EXT = [...IMAGE_EXT, ...DOC_EXT, ...ARCHIVE_EXT, ...VIDEO_EXT];
const EXECUTABLE_EXT = [
  'exe', 'msi', 'bat', 'cmd', 'com', 'scr', 'pif', 'dll', 'sys', 'vbs', 'vbe', 'js', 'jse', 'wsf', 'wsh', 'ps1', 'psm1',
  'sh', 'bash', 'jar', 'apk', 'app', 'dmg', 'pkg', 'deb', 'rpm', 'lnk', 'reg', 'hta', 'cpl', 'msc', 'iso', 'elf', 'bin', 'run',
  'html', 'htm', 'svg', 'xhtml', 'mht',
];

const MIME_BY_EXT: Record<string, string> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', bmp: 'image/bmp',
  heic: 'image/heic', heif: 'image/heif', tif: 'image/tiff', tiff: 'image/tiff',
  pdf: 'application/pdf', ofd: 'application/ofd', doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint', pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  wps: 'application/vnd.ms-works', et: 'application/vnd.ms-excel', dps: 'application/vnd.ms-powerpoint',
  txt: 'text/plain; charset=utf-8', csv: 'text/csv; charset=utf-8', rtf: 'application/rtf',
  odt: 'application/vnd.oasis.opendocument.text', ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odp: 'application/vnd.oasis.opendocument.presentation',
  zip: 'application/zip', rar: 'application/vnd.rar', '7z': 'application/x-7z-compressed',
  mp4: 'video/mp4', mov: 'video/quicktime', m4v: 'video/mp4', '3gp': 'video/3gpp',
};

const EXT_BY_MIME: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/gif': 'gif', 'image/webp': 'webp', 'image/bmp': 'bmp', 'image/heic': 'heic' };

export function extOf(name: string): string {
  const m = /\.([A-Za-z0-9]{1,8})$/.exec(name.trim());
  return m ? m[1]!.toLowerCase() : '';
}

/** The files in a message's content (LARK.md §2): image, file, media, and images/media inside a post. */
export function attachmentsOf(messageType: string, content: string): Attachment[] {
  let c: unknown;
  try {
    c = JSON.parse(content);
  } catch {
    return [];
  }
  if (!c || typeof c !== 'object') return [];
  const o = c as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v ? v : null);
  if (messageType === 'image') {
    const k = str(o.image_key);
    return k ? [{ fileKey: k, type: 'image', kind: 'image', name: null }] : [];
  }
  if (messageType === 'file') {
    const k = str(o.file_key);
    return k ? [{ fileKey: k, type: 'file', kind: 'file', name: str(o.file_name) }] : [];
  }
  if (messageType === 'media') {
    const k = str(o.file_key);
    return k ? [{ fileKey: k, type: 'file', kind: 'media', name: str(o.file_name) }] : [];
  }
  if (messageType === 'post') {
    let post = o;
    if (!Array.isArray(post.content)) {
      const locale = Object.values(o).find((v) => v && typeof v === 'object' && Array.isArray((v as Record<string, unknown>).content));
      if (!locale) return [];
      post = locale as Record<string, unknown>;
    }
    const out: Attachment[] = [];
    const seen = new Set<string>();
    for (const row of post.content as unknown[]) {
      if (!Array.isArray(row)) continue;
      for (const el of row as Array<Record<string, unknown>>) {
        if (!el || typeof el !== 'object') continue;
        if (el.tag === 'img' && str(el.image_key) && !seen.has(el.image_key as string)) {
          seen.add(el.image_key as string);
          out.push({ fileKey: el.image_key as string, type: 'image', kind: 'image', name: null });
        } else if (el.tag === 'media' && str(el.file_key) && !seen.has(el.file_key as string)) {
          seen.add(el.file_key as string);
          out.push({ fileKey: el.file_key as string, type: 'file', kind: 'media', name: str(el.file_name) });
        }
      }
    }
    return out;
  }
  return [];
}

/** A display name for a stored file: Feishu's file name, or 图片-<date>-<n>.<ext> for images. */
export function evidenceName(a: Attachment, contentType: string, index: number, date: string): string {
  if (a.name) return a.name.replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_').slice(0, 120);
  const ext = EXT_BY_MIME[contentType.split(';')[0]!.trim().toLowerCase()] ?? 'jpg';
  return `${a.kind === 'image' ? '图片' : '文件'}-${date.replace(/-/g, '')}-${index + 1}.${ext}`;
}

/** A kept file's content type, or the sentence saying why it is refused. */
export type Acceptance = Result<string>;

/**
 * Whether a downloaded file is kept: at most `maxBytes`, an accepted type (by name; images by their bytes), never
 * an executable (by name or by the bytes of a Windows/Linux/Mach-O program).
 */
export function acceptFile(input: {
  name: string;
  kind: Attachment['kind'];
  bytes: Uint8Array;
  /** The file's full size (the download stops past the limit, so bytes may be cut short). */
  size: number;
  maxBytes: number;
}): Acceptance {
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  if (input.size > input.maxBytes)
    return err(`文件过大（${mb(input.size)} MB），超过 ${mb(input.maxBytes)} MB 的上限。请压缩或拆分后重新发送，或改发链接。`);
  if (input.bytes.length === 0) return err('文件是空的。');
  const b = input.bytes;
  const executable =
    (b[0] === 0x4d && b[1] === 0x5a) || // MZ: Windows programs
    (b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46) || // ELF
    (b[0] === 0xcf && b[1] === 0xfa && b[2] === 0xed && b[3] === 0xfe) || // Mach-O
    (b[0] === 0x23 && b[1] === 0x21); // #! scripts
  const ext = extOf(input.name);
  if (executable || EXECUTABLE_EXT.includes(ext))
    return err('不接受可执行文件或脚本（如 .exe .bat .js .sh），请改发图片、PDF、Office 文档或压缩包。');
  if (input.kind === 'image') {
    const sniffed = sniffImage(b);
    if (!sniffed) return err('无法识别的图片格式，请改发 JPG 或 PNG。');
    return ok(sniffed);
  }
  if (!ACCEPTED_EXT.includes(ext))
    return err(`不支持的文件类型${ext ? `（.${ext}）` : '（无扩展名）'}。可接受：图片、PDF/OFD、Word/Excel/PPT/WPS 文档、文本、压缩包（zip/rar/7z）、视频。`);
  return ok(MIME_BY_EXT[ext] ?? 'application/octet-stream');
}

function sniffImage(b: Uint8Array): string | null {
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'image/png';
  if (b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return 'image/gif';
  if (b[0] === 0x42 && b[1] === 0x4d) return 'image/bmp';
  if (b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45) return 'image/webp';
  if (b[4] === 0x66 && b[5] === 0x74 && b[6] === 0x79 && b[7] === 0x70) return 'image/heic';
  if ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a) || (b[0] === 0x4d && b[1] === 0x4d && b[3] === 0x2a)) return 'image/tiff';
  return null;
}

/** The text a post carries before the task code is looked for: the leading task code, if any ("4.1.1 现场照片"). */
export function leadingTaskCode(text: string): { code: string; rest: string } | null {
  const m = /^\s*(\d{1,2}[.．。]\d{1,2}[.．。]\d{1,3})(?=$|[\s，,：:（(])[\s，,：:]*(.*)$/s.exec(text);
  if (!m) return null;
  return { code: m[1]!.replace(/[．。]/g, '.'), rest: m[2]!.trim() };
}

/** Words in a 退回 reason that ask for evidence (README "Evidence"): the unit's notice then says how to attach. */
export function asksForEvidence(reason: string): boolean {
  return /--要佐证|佐证|请附|附上|照片|台账|扫描件|证明材料|截图/.test(reason);
}

/** Office policy for this issue's steps (settings key 'evidence_policy'). */
export interface EvidencePolicy {
  /** 销号 is refused while the unit has attached no evidence to the assignment. */
  requireForClose: boolean;
  /**
   * Buzz (加急, urgent_app) a reminder or 催办 sent for an assignment overdue by at least this many days; null: never.
   * 0 buzzes every overdue reminder.
   */
  urgentAfterOverdueDays: number | null;
}

export const DEFAULT_EVIDENCE_POLICY: EvidencePolicy = { requireForClose: false, urgentAfterOverdueDays: null };

/** Read-receipt verdict for an overdue assignment's last reminder (README "Read receipts"). */
export type ReadVerdict = 'unread' | 'read_no_report' | 'reported' | 'too_old' | 'no_card' | 'no_scope' | 'unknown';

export function readVerdict(input: {
  sentAt: number | null;
  now: number;
  readers: string[] | null;
  contacts: string[];
  lastReportAt: number | null;
  error?: 'no_scope' | 'too_old' | 'other';
}): ReadVerdict {
  if (input.sentAt == null) return 'no_card';
  if (input.lastReportAt != null && input.lastReportAt >= input.sentAt) return 'reported';
  if (input.error === 'no_scope') return 'no_scope';
  if (input.error === 'too_old' || input.now - input.sentAt > 7 * 86_400_000) return 'too_old';
  if (input.error || !input.readers) return 'unknown';
  const read = input.contacts.length ? input.readers.some((r) => input.contacts.includes(r)) : input.readers.length > 0;
  return read ? 'read_no_report' : 'unread';
}

export const READ_VERDICT_ZH: Record<ReadVerdict, string> = {
  unread: '未读',
  read_no_report: '已读未报',
  reported: '已报送',
  too_old: '提醒超过7天，飞书不再提供已读信息',
  no_card: '尚未发过提醒',
  no_scope: '应用缺少读取已读信息的权限（im:message:readonly）',
  unknown: '已读情况暂时查不到',
};
