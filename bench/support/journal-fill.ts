// Writes a hiring journal with the inbox's own API (HiringStore.upsert), so
// replay and footprint benchmarks start from files the relay really writes.
// Hirings are active (in_progress): terminal ones are capped by the store's history limit.
import { randomUUID } from 'node:crypto';
import { parseHiring, type Hiring } from '../../src/shared/hiring';
import { HiringStore } from '../../src/relay/inbox';
import { quietLogger } from './util';

function platformHiring(i: number, agentId: string): Hiring {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)).toISOString();
  return parseHiring({
    id: randomUUID(),
    status: 'in_progress',
    agent_id: agentId,
    customer_id: '7d1f3c52-0d3a-4c59-9a43-3f1f2c6a7e10',
    task_description: `Hiring ${i}: add input validation to the signup form, cover the edge cases with unit tests and update the README.`,
    capability_requested: 'coding',
    category: 'coding',
    price: '25.00',
    delivery_mode: 'output',
    task_input: { delivery_mode: 'output' },
    repo_url: null,
    repo_access_token: null,
    client_message: 'Please keep the public API unchanged.',
    deadline_at: null,
    messages: [],
    task_output: null,
    artifacts: [],
    failed_reason: null,
    created_at: at,
    updated_at: at,
    started_at: at,
    completed_at: null,
    failed_at: null,
  });
}

/** Appends `count` hirings spread over `agents` to the journal in `stateDir`. */
export async function fillJournal(stateDir: string, count: number, agents: string[] = ['coder']): Promise<void> {
  const store = await HiringStore.open(stateDir, { durable: false, logger: quietLogger('inbox') });
  try {
    const batch = 1000;
    for (let start = 0; start < count; start += batch) {
      const end = Math.min(count, start + batch);
      for (const [a, agent] of agents.entries()) {
        const list: Hiring[] = [];
        for (let i = start; i < end; i++) if (i % agents.length === a) list.push(platformHiring(i, `agent-${a}`));
        if (list.length) await store.upsert(agent, list, 'rest');
      }
    }
  } finally {
    await store.close();
  }
}
