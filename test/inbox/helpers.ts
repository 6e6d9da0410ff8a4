// Shared helpers for the inbox tests: temp state dirs, hirings, polling with a deadline.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseHiring, type Hiring } from '../../src/shared/hiring';
import { memoryLogger } from '../../src/shared/log';

export function tempDir(prefix = 'inbox-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function hiring(id: string, extra: Record<string, unknown> = {}): Hiring {
  return parseHiring({
    id,
    status: 'in_progress',
    agent_id: 'agent-1',
    customer_id: 'cust-1',
    task_description: `Task ${id}: fix the bug`,
    price: '25.00',
    created_at: '2026-11-24T10:00:00Z',
    ...extra,
  });
}

export const PUSH_TOKEN = 'ghs_TESTTOKENabcdefghijklmnop1234';

export function pushHiring(id: string, extra: Record<string, unknown> = {}): Hiring {
  return hiring(id, {
    delivery_mode: 'push',
    repo_url: 'http://127.0.0.1:1/git/o/r.git',
    repo_access_token: PUSH_TOKEN,
    task_input: { delivery_mode: 'push', repo_url: 'http://127.0.0.1:1/git/o/r.git', repo_access_token: PUSH_TOKEN },
    ...extra,
  });
}

export const quietLogger = () => memoryLogger('inbox-test');
