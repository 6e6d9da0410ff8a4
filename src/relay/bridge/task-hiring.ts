// The hiring as the bridge hands it to a HiClaw worker: only the fields the task files and the
// mention need, with no repository token (so none can reach a worker's files or a Matrix room),
// plus the worker the platform routed it to.
import type { Hiring } from '../../shared/hiring';

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

export function toTaskHiring(h: Hiring): TaskHiring {
  // `||`: an empty string is as good as absent in files a worker reads.
  return {
    id: h.id,
    status: h.status || 'queued',
    task_description: h.task_description,
    client_message: h.client_message || null,
    capability_requested: h.capability_requested || null,
    category: h.category || null,
    price: h.price || null,
    deadline_at: h.deadline_at || null,
    delivery_mode: h.delivery_mode,
    repo_url: h.repo_url || null,
    // An extra field the platform adds to webhook deliveries, not part of the §4 schema.
    worker_matrix_id: typeof h.worker_matrix_id === 'string' && h.worker_matrix_id ? h.worker_matrix_id : undefined,
  };
}
