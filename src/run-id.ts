// The time format that starts every run id (20261126T064512Z-3f9a1c): written by the runner,
// read back by retention for evidence no stored run points to, and used by the store to name
// the files it sets aside.

const RUN_ID_STAMP = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z-/;

/** UTC time to the second without separators, e.g. 20261201T150805Z: sortable in file names and run ids. */
export function compactStamp(date = new Date()): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** The start time written into a run id, in epoch ms; undefined for a name that is not a run id. */
export function stampTime(runId: string): number | undefined {
  const m = RUN_ID_STAMP.exec(runId);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : undefined;
}
