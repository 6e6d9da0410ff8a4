// What the push-mode delivery tests share.
import { parseHiring, type Hiring } from '../../src/shared/hiring';

/** An in-progress push-mode hiring of this repository, as the platform sends it. */
export function pushHiring(id: string, url: string, token: string | null): Hiring {
  return parseHiring({
    id,
    status: 'in_progress',
    delivery_mode: 'push',
    task_description: `Task ${id}`,
    repo_url: url,
    repo_access_token: token,
  });
}
