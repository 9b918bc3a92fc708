// The view of one assignment that commands, cards and evidence read: the assignment with its task, its unit, the
// task's deadlines and today's assessment. Plain shapes with the fields the pure readers use; the database's row
// types satisfy them, and src/db/task-store.ts instantiates the view with those rows (its `AssignmentView`).
import type { Assessment, AssignmentLike, DeadlineLike } from './status.js';

export interface AssignmentFields extends AssignmentLike {
  id: number;
  taskId: number;
  unitId: number;
  /** lead | co */
  role: string;
}

export interface TaskFields {
  id: number;
  code: string;
  title: string;
  /** The plan's own words for the task. */
  sourceText: string;
}

export interface UnitFields {
  id: number;
  name: string;
}

export interface DeadlineFields extends DeadlineLike {
  /** What must be done by then, when the task has several deadlines. */
  what: string | null;
}

export interface AssignmentView<
  A extends AssignmentFields = AssignmentFields,
  T extends TaskFields = TaskFields,
  U extends UnitFields = UnitFields,
  D extends DeadlineFields = DeadlineFields,
> {
  asg: A;
  task: T;
  unit: U;
  deadlines: D[];
  assessment: Assessment;
}

/** How replies name one assignment: "4.1.1（安定区）". */
export const assignmentLabel = (v: { task: Pick<TaskFields, 'code'>; unit: Pick<UnitFields, 'name'> }) => `${v.task.code}（${v.unit.name}）`;
