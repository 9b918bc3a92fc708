// The one drizzle schema for both drivers (better-sqlite3 on Node, D1 on Workers).
// Instants are UTC epoch milliseconds (integer); calendar dates are 'YYYY-MM-DD' strings in Asia/Shanghai.
import { sql } from 'drizzle-orm';
import { index, integer, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

const now = sql`(cast((julianday('now') - 2440587.5) * 86400000 as integer))`;

/** A plan: one implementation document with its tasks (the Dingxi 2022 plan is the first). */
export const plans = sqliteTable('plans', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  code: text('code').notNull().unique(),
  title: text('title').notNull(),
  issuer: text('issuer'),
  source: text('source'),
  /** Chapter and section titles: JSON [{number,title,short?,sections:[{number,title}]}]. */
  outline: text('outline', { mode: 'json' }).$type<PlanOutline>().notNull().default(sql`'[]'`),
  createdAt: integer('created_at').notNull().default(now),
  updatedAt: integer('updated_at').notNull().default(now),
});

export type PlanOutline = Array<{
  number: number;
  title: string;
  short?: string;
  sections: Array<{ number: number; title: string }>;
}>;

/** Departments, counties/districts and other bodies that can be responsible for a task. */
export const units = sqliteTable('units', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull().unique(),
  /** department | county | office | other */
  kind: text('kind').notNull().default('department'),
  /** Other names people use: JSON string array, e.g. ["安定"] for 安定区. */
  aliases: text('aliases', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
  createdAt: integer('created_at').notNull().default(now),
});

export const tasks = sqliteTable(
  'tasks',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    planId: integer('plan_id').notNull().references(() => plans.id),
    /** Stable code `<chapter>.<section>.<n>`, e.g. 4.1.2. */
    code: text('code').notNull(),
    chapter: integer('chapter').notNull(),
    section: integer('section').notNull(),
    seq: integer('seq').notNull(),
    title: text('title').notNull(),
    sourceText: text('source_text').notNull(),
    note: text('note'),
    /** active | withdrawn (a re-import that no longer lists the task withdraws it; progress is kept). */
    state: text('state').notNull().default('active'),
    createdAt: integer('created_at').notNull().default(now),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [uniqueIndex('tasks_plan_code').on(t.planId, t.code), index('tasks_chapter').on(t.planId, t.chapter)],
);

/**
 * A deadline of a task. kind:
 *  date        a fixed day (dueDate)
 *  month_end   end of a month ("2022年6月底前"; dueDate = last day of that month)
 *  year_end    end of a year ("2022年底前"; dueDate = Dec 31)
 *  target_year a target year ("到2025年"; dueDate = Dec 31 of that year)
 *  recurring   a periodic duty (recurrence: annual | quarterly | monthly), dueDate optional (first occurrence)
 *  ongoing     a standing duty with no end ("长期坚持")
 */
export const deadlines = sqliteTable(
  'deadlines',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    taskId: integer('task_id').notNull().references(() => tasks.id),
    kind: text('kind').notNull(),
    dueDate: text('due_date'),
    recurrence: text('recurrence'),
    /** The deadline as the plan words it, e.g. "2022年6月底前". */
    label: text('label').notNull(),
    /** What must be done by then, when the task has several deadlines. */
    what: text('what'),
  },
  (t) => [index('deadlines_task').on(t.taskId), index('deadlines_due').on(t.dueDate)],
);

/** A quantitative target, e.g. PM2.5 <= 24 μg/m³ by 2025. */
export const targets = sqliteTable(
  'targets',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    planId: integer('plan_id').notNull().references(() => plans.id),
    taskId: integer('task_id').references(() => tasks.id),
    code: text('code').notNull(),
    indicator: text('indicator').notNull(),
    aliases: text('aliases', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
    /** <= | >= | < | > | = */
    comparator: text('comparator').notNull(),
    value: real('value').notNull(),
    unit: text('unit'),
    year: integer('year').notNull(),
    scope: text('scope'),
    sourceText: text('source_text'),
  },
  (t) => [uniqueIndex('targets_plan_code').on(t.planId, t.code)],
);

/** Reported values of a target's indicator. */
export const metricReports = sqliteTable(
  'metric_reports',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    targetId: integer('target_id').notNull().references(() => targets.id),
    value: real('value').notNull(),
    personId: integer('person_id').references(() => people.id),
    unitId: integer('unit_id').references(() => units.id),
    /** The period the value is for: 'YYYY-MM', 'YYYY-Qn', 'YYYY-H1|H2' or 'YYYY'; null = as of the report. */
    period: text('period'),
    /** The value as written ("Ⅱ类", "85%", "24以下"), when it differs from the number. */
    valueText: text('value_text'),
    note: text('note'),
    channel: text('channel').notNull(),
    createdAt: integer('created_at').notNull().default(now),
  },
  (t) => [index('metric_reports_target').on(t.targetId, t.createdAt)],
);

/**
 * Task x unit. role: lead (牵头) | co (配合).
 * state: not_started | in_progress | claimed (completion claimed, awaiting the office) | closed (销号)
 */
export const assignments = sqliteTable(
  'assignments',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    taskId: integer('task_id').notNull().references(() => tasks.id),
    unitId: integer('unit_id').notNull().references(() => units.id),
    role: text('role').notNull().default('lead'),
    /** true while the assignment is our reading of the plan, not yet confirmed by the office's import. */
    proposed: integer('proposed', { mode: 'boolean' }).notNull().default(false),
    state: text('state').notNull().default('not_started'),
    percent: integer('percent').notNull().default(0),
    /** An approved extension replaces the task's dated deadline for this assignment. */
    extendedTo: text('extended_to'),
    lastReportAt: integer('last_report_at'),
    claimedAt: integer('claimed_at'),
    closedAt: integer('closed_at'),
    createdAt: integer('created_at').notNull().default(now),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [
    uniqueIndex('assignments_task_unit').on(t.taskId, t.unitId),
    index('assignments_unit').on(t.unitId),
    index('assignments_state').on(t.state),
  ],
);

export const people = sqliteTable(
  'people',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    openId: text('open_id').unique(),
    userId: text('user_id'),
    unionId: text('union_id'),
    name: text('name'),
    email: text('email'),
    mobile: text('mobile'),
    createdAt: integer('created_at').notNull().default(now),
  },
  (t) => [index('people_email').on(t.email), index('people_mobile').on(t.mobile)],
);

/** A person's role: office | contact (unitId set) | leader. */
export const roles = sqliteTable(
  'roles',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    personId: integer('person_id').notNull().references(() => people.id),
    role: text('role').notNull(),
    /** 0 when the role has no unit (office, leader): keeps the unique index meaningful in SQLite. */
    unitId: integer('unit_id').notNull().default(0),
    createdAt: integer('created_at').notNull().default(now),
  },
  (t) => [uniqueIndex('roles_person_role_unit').on(t.personId, t.role, t.unitId), index('roles_unit').on(t.unitId)],
);

/**
 * Roles that ended (解绑, 交接, `people remove`): the row as it was in `roles`, when and by whom it ended and why.
 * `roles` holds only current roles (every reader of it stays right); this table is the history.
 */
export const roleHistory = sqliteTable(
  'role_history',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    personId: integer('person_id').notNull().references(() => people.id),
    role: text('role').notNull(),
    unitId: integer('unit_id').notNull().default(0),
    startedAt: integer('started_at').notNull(),
    endedAt: integer('ended_at').notNull(),
    /** Who ended it (a person id; null for the CLI). */
    endedBy: integer('ended_by'),
    /** unbind | handover | removed */
    reason: text('reason').notNull(),
    /** For a handover: the person who took the unit over. */
    successorId: integer('successor_id'),
    note: text('note'),
  },
  (t) => [index('role_history_person').on(t.personId), index('role_history_unit').on(t.unitId)],
);

/** A person's request to be bound to a unit (`绑定 <单位>`), approved by the office. */
export const bindRequests = sqliteTable('bind_requests', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  personId: integer('person_id').notNull().references(() => people.id),
  unitId: integer('unit_id').notNull().references(() => units.id),
  /** pending | approved | rejected */
  status: text('status').notNull().default('pending'),
  decidedBy: integer('decided_by'),
  decidedAt: integer('decided_at'),
  createdAt: integer('created_at').notNull().default(now),
});

/** Group chats registered for a purpose (`本群设为 …`): office | leaders | unit. */
export const chats = sqliteTable('chats', {
  chatId: text('chat_id').primaryKey(),
  purpose: text('purpose').notNull(),
  unitId: integer('unit_id'),
  registeredBy: integer('registered_by'),
  createdAt: integer('created_at').notNull().default(now),
});

/**
 * Progress reports on an assignment. kind: progress | done_claim | no_change | return | close | note | extension.
 * channel: chat | reply | card | cli | import | system
 */
export const progressReports = sqliteTable(
  'progress_reports',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    assignmentId: integer('assignment_id').notNull().references(() => assignments.id),
    personId: integer('person_id'),
    kind: text('kind').notNull(),
    percent: integer('percent'),
    note: text('note'),
    evidenceUrl: text('evidence_url'),
    channel: text('channel').notNull(),
    sourceMessageId: text('source_message_id'),
    createdAt: integer('created_at').notNull().default(now),
    /** Set when the reporter recalled the Feishu message that made this report (im.message.recalled_v1): 已撤回. */
    withdrawnAt: integer('withdrawn_at'),
  },
  (t) => [index('progress_assignment').on(t.assignmentId, t.createdAt), index('progress_source_message').on(t.sourceMessageId)],
);

/** Extension requests (`延期`): pending | approved | rejected. */
export const extensionRequests = sqliteTable(
  'extension_requests',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    assignmentId: integer('assignment_id').notNull().references(() => assignments.id),
    requestedBy: integer('requested_by'),
    currentDue: text('current_due'),
    newDueDate: text('new_due_date').notNull(),
    reason: text('reason').notNull(),
    status: text('status').notNull().default('pending'),
    decidedBy: integer('decided_by'),
    decidedAt: integer('decided_at'),
    decisionNote: text('decision_note'),
    createdAt: integer('created_at').notNull().default(now),
  },
  (t) => [index('extension_status').on(t.status)],
);

/** Every change: who, when, what, through which channel. Append-only. */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull(),
    /** 'person:<id>' | 'system' | 'cli' | 'import' | 'scheduler' */
    actor: text('actor').notNull(),
    personId: integer('person_id'),
    channel: text('channel').notNull(),
    action: text('action').notNull(),
    entity: text('entity').notNull(),
    entityId: text('entity_id'),
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>(),
  },
  (t) => [index('audit_entity').on(t.entity, t.entityId), index('audit_at').on(t.at)],
);

/**
 * Inbound de-duplication and the durable inbox: one row per event_id ('event:<id>') and per message_id
 * ('message:<id>'). The event row keeps the payload until it is processed (status pending | done | failed),
 * so an event acknowledged before a crash is still processed after it.
 */
export const inboundEvents = sqliteTable(
  'inbound_events',
  {
    key: text('key').primaryKey(),
    eventType: text('event_type').notNull(),
    receivedAt: integer('received_at').notNull(),
    status: text('status').notNull().default('pending'),
    payload: text('payload'),
    attempts: integer('attempts').notNull().default(0),
    claimedUntil: integer('claimed_until'),
    processedAt: integer('processed_at'),
    error: text('error'),
  },
  (t) => [index('inbound_status').on(t.status, t.receivedAt)],
);

/**
 * The durable outbox: every message the bot sends is a row first.
 * op: send | reply | patch. status: pending | sending | sent | failed (a permanent error: 未送达) | cancelled
 * (re-addressed, e.g. to people by direct message after the bot left the chat).
 * dedupeKey names the logical message (e.g. 'reminder:12:before10:2022-06-30:p3'); uuid is derived from it.
 */
export const outbox = sqliteTable(
  'outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    dedupeKey: text('dedupe_key').notNull().unique(),
    uuid: text('uuid').notNull(),
    op: text('op').notNull().default('send'),
    receiveIdType: text('receive_id_type'),
    receiveId: text('receive_id'),
    /** For replies: the message replied to; for patches: the message updated. */
    targetMessageId: text('target_message_id'),
    msgType: text('msg_type').notNull(),
    content: text('content').notNull(),
    /** reminder | escalation | digest | reply | notice | card_update */
    purpose: text('purpose').notNull(),
    taskId: integer('task_id'),
    assignmentId: integer('assignment_id'),
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull().default(0),
    claimedUntil: integer('claimed_until'),
    messageId: text('message_id'),
    lastError: text('last_error'),
    errorCode: integer('error_code'),
    createdAt: integer('created_at').notNull().default(now),
    sentAt: integer('sent_at'),
    /** When the message was first due (nextAttemptAt at queueing): a reminder sent long after it says so. */
    dueAt: integer('due_at'),
  },
  (t) => [
    index('outbox_due').on(t.status, t.nextAttemptAt),
    index('outbox_message').on(t.messageId),
    index('outbox_assignment').on(t.assignmentId),
    // Pruning by age (pruneOutbox).
    index('outbox_sent').on(t.status, t.sentAt),
  ],
);

/**
 * Reminder steps already planned for an assignment (the scheduler's memory). stepKey is unique per assignment:
 * e.g. 'before:10:2022-06-30', 'due:2022-06-30', 'after:3:2022-06-30', 'escalate:office:2022-06-30',
 * 'periodic:2022-07', 'no_contact:2022-06-30'.
 */
export const reminderLog = sqliteTable(
  'reminder_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    assignmentId: integer('assignment_id').notNull(),
    stepKey: text('step_key').notNull(),
    kind: text('kind').notNull(),
    dueDate: text('due_date'),
    escalationLevel: integer('escalation_level').notNull().default(0),
    plannedAt: integer('planned_at').notNull(),
  },
  // The unique (assignment, step) index also serves every lookup by assignment; a second index on (assignment,
  // planned_at) was one more B-tree to write per claim (a first pass claims tens of thousands) and no query used it.
  (t) => [uniqueIndex('reminder_step').on(t.assignmentId, t.stepKey)],
);

/**
 * Slices of a scheduler pass whose claims are committed but whose messages are not yet: a pass commits a slice's
 * claims (reminder_log rows first_claim_id..last_claim_id) with this row, then its messages with the row's delete.
 * A row still here long after it was written belongs to a pass that died in between: the next pass deletes those
 * claims, so their steps are planned and sent again instead of being lost.
 */
export const schedulerSlices = sqliteTable('scheduler_slices', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  plannedAt: integer('planned_at').notNull(),
  firstClaimId: integer('first_claim_id').notNull(),
  lastClaimId: integer('last_claim_id'),
  /** Real time (not the pass's instant, which `tick --at` can set anywhere). */
  createdAt: integer('created_at').notNull(),
});

/** Weekly digests as sent; weekKey is the ISO week of its Asia/Shanghai date, e.g. '2022-W26'. */
export const digests = sqliteTable('digests', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  weekKey: text('week_key').notNull().unique(),
  generatedAt: integer('generated_at').notNull(),
  stats: text('stats', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  card: text('card').notNull(),
});

/** Messages the bot could not tie to anything: kept, never dropped. */
export const unmatchedMessages = sqliteTable('unmatched_messages', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  messageId: text('message_id'),
  openId: text('open_id'),
  chatId: text('chat_id'),
  text: text('text').notNull(),
  reason: text('reason').notNull(),
  createdAt: integer('created_at').notNull().default(now),
  /** Set when the office attached the message to an assignment (`归入`), which recorded it as a progress note. */
  assignmentId: integer('assignment_id'),
  resolvedBy: integer('resolved_by'),
  resolvedAt: integer('resolved_at'),
});

/** Office-changeable settings (reminder policy …): key -> JSON. */
export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value', { mode: 'json' }).notNull(),
  updatedAt: integer('updated_at').notNull().default(now),
});

/** Leases for singleton jobs (scheduler pass, outbox sender) across processes/isolates. */
export const leases = sqliteTable('leases', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  until: integer('until').notNull(),
});

/**
 * Board sign-in links (`看板`): one row per link issued, keyed by its random nonce. usedAt is set by the single
 * conditional UPDATE that turns the link into a session, so a link works once.
 */
export const boardLinks = sqliteTable(
  'board_links',
  {
    nonce: text('nonce').primaryKey(),
    personId: integer('person_id').notNull(),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('board_links_expires').on(t.expiresAt)],
);

/**
 * 佐证材料 (issue 18): one row per file a person sent (an image, a file, an image inside a post), stored
 * content-addressed by sha256 (Node: EVIDENCE_DIR, Workers: the R2 bucket EVIDENCE). assignmentId is null while
 * the file is pending (the bot could not tell which task it belongs to and asked). status: attached | pending.
 * via: reply (a reply to the bot's card) | code (the caption starts with a task code) | window (shortly after a
 * report) | follow_up (`佐证 <编号>` or a reply to the bot's question).
 */
export const evidence = sqliteTable(
  'evidence',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    assignmentId: integer('assignment_id'),
    personId: integer('person_id'),
    senderOpenId: text('sender_open_id').notNull(),
    chatId: text('chat_id'),
    messageId: text('message_id').notNull(),
    fileKey: text('file_key').notNull(),
    /** image | file | media */
    kind: text('kind').notNull(),
    name: text('name').notNull(),
    contentType: text('content_type').notNull(),
    size: integer('size').notNull(),
    sha256: text('sha256').notNull(),
    status: text('status').notNull().default('attached'),
    via: text('via'),
    createdAt: integer('created_at').notNull(),
    attachedAt: integer('attached_at'),
  },
  (t) => [
    uniqueIndex('evidence_message_file').on(t.messageId, t.fileKey),
    index('evidence_assignment').on(t.assignmentId),
    index('evidence_sender_status').on(t.senderOpenId, t.status),
    index('evidence_sha').on(t.sha256),
  ],
);

/**
 * Buzzes (加急, urgent_app) made for a sent reminder, one per outbox row: the insert claims the row, so the urgent
 * step buzzes each message at most once. result: buzzed | fallback | failed.
 */
export const urgentLog = sqliteTable('urgent_log', {
  outboxId: integer('outbox_id').primaryKey(),
  messageId: text('message_id').notNull(),
  result: text('result').notNull().default('pending'),
  detail: text('detail'),
  createdAt: integer('created_at').notNull(),
});
