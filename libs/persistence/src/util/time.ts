/** Postgres hands timestamps over as Date or text; records keep epoch
 * milliseconds (instants the machines compute with) or ISO text (views). */

export function toMs(value: string | Date | null): number | null {
  return value === null ? null : new Date(value).getTime();
}

export function toIso(value: string | Date | number | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}
