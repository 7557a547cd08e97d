// The query-task body of a task: what GET query-task answers and what a callback POSTs (API.md).
import { errorEnvelope, successEnvelope, type Envelope } from '../contract/envelope.js';
import { Errors } from '../contract/errors.js';
import type { BlobStore } from './ports.js';
import type { Task } from '../contract/task.js';

export const DOWNLOAD_TTL_SECONDS = 3600;

export async function taskQueryBody(task: Task, blobs: BlobStore, baseUrl: string): Promise<Envelope> {
  const data: Record<string, unknown> = { task_id: task.id, state: task.state };
  if (task.state === 'failed') {
    return errorEnvelope(Errors.generateFailed, `${Errors.generateFailed.message}: ${task.error ?? 'unknown reason'}`, data);
  }
  if (task.state === 'success' && task.resultKey) {
    data.id = `${task.id}_0`;
    // A fresh link each time it is asked for (API.md: valid one hour from now).
    data.url = await blobs.signedUrl(task.resultKey, DOWNLOAD_TTL_SECONDS, baseUrl);
    if (task.depthModel) data.depth_model = task.depthModel;
    if (task.mesh) data.mesh = { triangles: task.mesh.triangles, shells: task.mesh.shells };
  }
  // Beyond Hitem3D: how far the work is, 0..100, from the stages the worker has reached.
  data.progress = task.state === 'success' ? 100 : (task.progress ?? 0);
  return successEnvelope(data);
}
