// The `--demo` show: a demo hirer that posts a bounded set of realistic coding
// hirings to the embedded sandbox, and a runner with the shipped demo agent CLI
// that takes output-mode hirings and leaves a result — which then waits in
// review, is rejected with feedback, redone and approved — so that `npm start`
// shows a whole life cycle without any other tool.
import type { Logger } from '../shared/log';
import type { HireInput } from '../sandbox/types';
import type { RunnerConfigInput } from './runners/config';
import type { Caller, RelayCore } from './types';

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
    description:
      'Add a GitHub Actions workflow that runs `npm test` on pushes and pull requests (Node 20), and a status badge in README.md.',
    clientMessage: 'Please keep the workflow minimal.',
  },
  {
    mode: 'output',
    price: '25.00',
    description:
      'Review this SQL for injection risks and rewrite it with parameters: SELECT * FROM users WHERE email = \'" + email + "\'',
  },
  {
    mode: 'push',
    price: '30.00',
    description:
      'Fix the off-by-one error in src/paginate.js: the last page is never returned when the total is a multiple of the page size.',
  },
  {
    mode: 'output',
    price: '20.00',
    description:
      'Explain and fix a Python `RecursionError` in a recursive directory walker; return a version that uses an explicit stack.',
  },
  {
    mode: 'push',
    price: '35.00',
    description:
      'Add a `--dry-run` flag to the CLI in bin/cli.js that prints the actions without executing them. Document it in README.md.',
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
    describe: () =>
      posted >= total
        ? `hirer posted all ${total} sample hirings`
        : `hirer posted ${posted} of ${total} sample hirings`,
  };
}

/**
 * The demo's runner: the shipped demo agent CLI (`command`, normally `agrenting-relay demo-agent`),
 * taking output-mode hirings by itself (push ones wait for you).
 */
export function demoRunner(command: string[], stepMs?: number): RunnerConfigInput {
  return {
    name: 'demo-agent',
    command,
    prompt: 'stdin',
    deliveryModes: ['output'],
    autoDispatch: true,
    maxConcurrent: 2,
    maxAttempts: 3,
    timeoutMs: 5 * 60_000,
    env: stepMs === undefined ? [] : ['AGRENTING_DEMO_STEP_MS'],
  };
}

export interface DemoReviewerOptions {
  core: RelayCore;
  logger: Logger;
  feedback?: string;
}

export const DEMO_FEEDBACK = 'Demo review: please add a unit test for the empty input.';

/**
 * Reviews like a person would, for a demo nobody watches at a keyboard: the demo agent's first result
 * on a hiring is rejected with feedback (the agent runs again), the redone one approved.
 */
export function startDemoReviewer(opts: DemoReviewerOptions): DemoHandle {
  const caller: Caller = { role: 'operator', name: 'demo-reviewer' };
  const deciding = new Set<string>();
  let rejected = 0;
  let approved = 0;
  const review = () => {
    for (const s of opts.core.reviewQueue(caller)) {
      if (deciding.has(s.id) || s.submittedBy !== 'runner:demo-agent') continue;
      deciding.add(s.id);
      const h = opts.core.getHiring(caller, s.hiringId);
      const first = !h.relayMessages.some((m) => m.from === 'review');
      const decided = first
        ? opts.core.reject(caller, s.id, opts.feedback ?? DEMO_FEEDBACK)
        : opts.core.approve(caller, s.id);
      decided
        .then(() => (first ? rejected++ : approved++))
        .catch((e: unknown) =>
          opts.logger.warn('the demo review decision failed', { submission: s.id, error: (e as Error).message }),
        );
    }
  };
  const unsubscribe = opts.core.subscribe((e) => {
    if (e.type === 'review' || e.type === 'hiring') review();
  });
  review();
  return {
    stop: unsubscribe,
    describe: () => `reviewer rejected ${rejected} first result(s) with feedback, approved ${approved} redone`,
  };
}
