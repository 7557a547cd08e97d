// ONNX Runtime 1.29 and later send telemetry to Microsoft on Linux and macOS too (1DS, to
// mobile.events.data.microsoft.com): a device identifier under ~/.cache/Microsoft, then a lookup
// of the collector every few seconds once a session has run. A self-hosted service that works
// offline must not try to reach anyone, and the Node binding has no switch for it (the C API's
// DisableTelemetryEvents is not exposed, and comes after the first event anyway).
//
// The runtime reads an environment variable once, from the process's C environment, when it
// creates its environment (the first session). So it must be set:
// - in the process's main thread: a worker thread's process.env is a copy that native code never
//   sees, so setting it there does nothing;
// - before the first session, in any thread (the server's worker threads create theirs).
// Two names: 1.30 reads ORT_DISABLE_TELEMETRY, later releases ORT_TELEMETRY_DISABLED.
import { isMainThread } from 'node:worker_threads';

const SWITCHES = ['ORT_DISABLE_TELEMETRY', 'ORT_TELEMETRY_DISABLED'] as const;

/** Turns ONNX Runtime's telemetry off for this process; call it on the main thread, before any session. */
export function disableOnnxRuntimeTelemetry(): void {
  if (!isMainThread) return; // useless here (see above): the main thread did it before it started this one
  for (const name of SWITCHES) process.env[name] = '1';
}
