// The `--demo` show: a demo hirer that posts a bounded set of realistic coding
// hirings to the embedded sandbox, and a demo worker that claims output-mode
// hirings and submits a result — which then waits in review — so that
// `npm start` shows a whole life cycle without any other tool.
import type { Logger } from '../shared/log';
import type { HireInput } from '../sandbox/types';
import type { Caller, HiringView, RelayCore } from './types';

export interface DemoTask {
  description: string;
  mode: 'output' | 'push';
  price: string;
  clientMessage?: string;
}

export const DEMO_TASKS: readonly DemoTask[] = [
  {
    mode: 'output',
    price: '15.00',
    description:
      'Write a TypeScript function `slugify(title: string): string` that lowercases, strips accents, and joins words with "-". Include unit tests.',
  },
  {
    mode: 'push',
    price: '40.00',
    description: 'Add a GitHub Actions workflow that runs `npm test` on pushes and pull requests (Node 20), and a status badge in README.md.',
    clientMessage: 'Please keep the workflow minimal.',
  },
  {
    mode: 'output',
    price: '25.00',
    description: 'Review this SQL for injection risks and rewrite it with parameters: SELECT * FROM users WHERE email = \'" + email + "\'',
  },
  {
    mode: 'push',
    price: '30.00',
    description: 'Fix the off-by-one error in src/paginate.js: the last page is never returned when the total is a multiple of the page size.',
  },
  {
    mode: 'output',
    price: '20.00',
    description: 'Explain and fix a Python `RecursionError` in a recursive directory walker; return a version that uses an explicit stack.',
  },
  {
    mode: 'push',
    price: '35.00',
    description: 'Add a `--dry-run` flag to the CLI in bin/cli.js that prints the actions without executing them. Document it in README.md.',
  },
];

/** What the demo hirer needs from the sandbox (satisfied by Sandbox from src/sandbox). */
export interface DemoMarketplace {
  hire(agentId: string, input: HireInput): Promise<unknown> | unknown;
}

export interface DemoHirerOptions {
  market: DemoMarketplace;
  agentId: string;
  intervalMs?: number;
  /** How many hirings in all (the task list repeats). Default: the task list once. */
  total?: number;
  tasks?: readonly DemoTask[];
  logger: Logger;
  onHire?: (task: DemoTask, n: number) => void;
}

export interface DemoHandle {
  stop(): void;
  /** A line for the status view. */
  describe(): string;
}

export function startDemoHirer(opts: DemoHirerOptions): DemoHandle {
  const tasks = opts.tasks ?? DEMO_TASKS;
  const total = opts.total ?? tasks.length;
  let posted = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const postNext = async () => {
    if (stopped || posted >= total) return;
    const task = tasks[posted % tasks.length];
    posted++;
    const input: HireInput = {
      task_description: task.description,
      capability_requested: 'coding',
      category: 'coding',
      price: task.price,
      delivery_mode: task.mode,
      client_message: task.clientMessage,
      client_idempotency_key: `demo-${posted}-${Date.now()}`,
    };
    try {
      await opts.market.hire(opts.agentId, input);
      opts.logger.info('demo hirer posted a hiring', { n: posted, mode: task.mode, price: task.price });
      opts.onHire?.(task, posted);
    } catch (e) {
      opts.logger.warn('demo hirer could not post a hiring', { error: (e as Error).message });
    }
    if (!stopped && posted < total) timer = setTimeout(() => void postNext(), opts.intervalMs ?? 5000);
  };
  timer = setTimeout(() => void postNext(), 500);

  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    describe: () => (posted >= total ? `hirer posted all ${total} sample hirings` : `hirer posted ${posted} of ${total} sample hirings`),
  };
}

export interface DemoWorkerOptions {
  core: RelayCore;
  agent: string;
  name?: string;
  /** Delay between steps so a person can watch the phases change. */
  stepMs?: number;
  logger: Logger;
}

function demoResult(h: HiringView): { output: Record<string, unknown>; code: string } {
  const task = h.hiring.task_description;
  const code = `// Demo result for: ${task.split('\n')[0].slice(0, 70)}\nexport function solution(): string {\n  return 'done';\n}\n`;
  return { output: { summary: `Demo worker's answer to: ${task.slice(0, 120)}`, language: 'typescript' }, code };
}

/** Claims new output-mode hirings of one agent, emits progress, submits a result. */
export function startDemoWorker(opts: DemoWorkerOptions): DemoHandle {
  const caller: Caller = { role: 'worker', agent: opts.agent, name: opts.name ?? 'demo-worker' };
  const busy = new Set<string>();
  let submitted = 0;
  let stopped = false;
  const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

  /** Review feedback already answered, per hiring: new feedback means "work it again". */
  const answered = new Map<string, number>();

  const work = async (h: HiringView) => {
    const id = String(h.hiring.id);
    const feedback = h.relayMessages.filter((m) => m.from === 'review');
    answered.set(id, feedback.length);
    try {
      if (h.claimedBy !== caller.name) opts.core.claim(caller, id);
      await wait(opts.stepMs ?? 1500);
      if (stopped) return;
      await opts.core.emitChunk(caller, { hiring_id: id, content: 'Reading the task and drafting a solution…', kind: 'status' });
      await wait(opts.stepMs ?? 1500);
      if (stopped) return;
      const { output, code } = demoResult(h);
      const last = feedback.at(-1);
      if (last) output.revision = `Reworked after review: ${last.content}`;
      await opts.core.submitResult(caller, {
        hiring_id: id,
        output,
        artifacts: [{ artifact_type: 'code_block', name: 'solution.ts', content: code }],
      });
      submitted++;
      opts.logger.info('demo worker submitted a result', { hiring: id });
    } catch (e) {
      opts.logger.warn('demo worker gave up on a hiring', { hiring: id, error: (e as Error).message });
    } finally {
      busy.delete(id);
    }
  };

  const wantsWork = (h: HiringView): boolean => {
    if (h.hiring.delivery_mode !== 'output') return false;
    if (h.phase === 'new') return !answered.has(String(h.hiring.id));
    // Rejected with feedback the worker has not answered yet.
    const reviews = h.relayMessages.filter((m) => m.from === 'review').length;
    return h.phase === 'claimed' && h.claimedBy === caller.name && reviews > (answered.get(String(h.hiring.id)) ?? 0);
  };

  const scan = () => {
    if (stopped) return;
    for (const h of opts.core.listActive(caller)) {
      const id = String(h.hiring.id);
      if (busy.has(id) || !wantsWork(h)) continue;
      busy.add(id);
      void work(h);
    }
  };
  const unsubscribe = opts.core.subscribe((e) => {
    if (e.type === 'hiring' || e.type === 'pending') scan();
  });
  scan();
  return {
    stop() {
      stopped = true;
      unsubscribe();
    },
    describe: () => `worker "${caller.name}" submitted ${submitted} result(s); push-mode hirings wait for you`,
  };
}
