/**
 * Statuses of changes and tasks, as Pebble names them on the wire.
 *
 * @module
 */

/** A task's or change's status. */
export type Status =
  | "Default"
  | "Hold"
  | "Do"
  | "Doing"
  | "Done"
  | "Abort"
  | "Undo"
  | "Undoing"
  | "Undone"
  | "Error"
  | "Wait";

/** Whether a status is final: the task or change will not run again. */
export function isReady(status: Status): boolean {
  return status === "Done" || status === "Undone" || status === "Hold" || status === "Error";
}

/**
 * The order in which a change's status is derived from its tasks' statuses: the first
 * status in this list that any task has is the change's status.
 */
export const STATUS_ORDER: readonly Status[] = [
  "Abort",
  "Undoing",
  "Undo",
  "Doing",
  "Do",
  "Wait",
  "Error",
  "Undone",
  "Done",
  "Hold",
];
