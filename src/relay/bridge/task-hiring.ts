// The fields of a hiring the bridge works with, as plain typed values. The shared `Hiring` type
// (an Omit<> of a passthrough schema) widens to an index signature, so the bridge reads the
// fields it needs once, here, and trusts these types inside.
import type { Hiring } from '../../shared/hiring';
import { taskTitle } from '../../shared/hiring';

export interface TaskHiring {
  id: string;
  status: string;
  task_description: string;
  client_message: string | null;
  capability_requested: string | null;
  category: string | null;
  price: string | null;
  deadline_at: string | null;
  delivery_mode: 'output' | 'push';
  repo_url: string | null;
  /** From a webhook payload: the HiClaw worker the platform routes this hiring to. */
  worker_matrix_id?: string;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

export function toTaskHiring(h: Hiring): TaskHiring {
  const r = h as Record<string, unknown>;
  return {
    id: String(r.id),
    status: str(r.status) ?? 'queued',
    task_description: typeof r.task_description === 'string' ? r.task_description : '',
    client_message: str(r.client_message),
    capability_requested: str(r.capability_requested),
    category: str(r.category),
    price: str(r.price),
    deadline_at: str(r.deadline_at),
    delivery_mode: r.delivery_mode === 'push' ? 'push' : 'output',
    repo_url: str(r.repo_url),
    worker_matrix_id: str(r.worker_matrix_id) ?? undefined,
  };
}

/** The first line of the task, for titles and the mention. */
export function titleOf(h: Pick<TaskHiring, 'id' | 'task_description'>, max = 100): string {
  return taskTitle({ id: h.id, task_description: h.task_description }, max);
}
