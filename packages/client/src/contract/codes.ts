// The envelope codes a client acts on (API.md "Envelope"), by name. The server's error catalog
// (src/contract/errors.ts) takes these entries' codes from here, so the two cannot drift.

/** A task that failed (query-task, waitForTask); HTTP 200, the reason in msg. */
export const TASK_FAILED = 5001001;

/** An unknown task (or another client's), with HTTP 404: Hitem3D's code. */
export const TASK_NOT_FOUND = 40040000;

/** The client's credits do not cover the task (createTask rejects with it), with HTTP 402: Hitem3D's code. */
export const INSUFFICIENT_BALANCE = 30010000;
