// Runner parts without processes: config parsing, the dispatch rules, the child environment, the prompt,
// line splitting and the bounded run log.
import { describe, expect, it } from 'vitest';
import { parseHiring } from '../../src/shared/hiring';
import { registerSecret } from '../../src/shared/redact';
import { childArgv } from '../../src/relay/runners/child';
import { parseRunners, RUNNERS_ENV, RunnerConfigSchema } from '../../src/relay/runners/config';
import { autoHandler, isUnhandled, runnerMismatch } from '../../src/relay/runners/dispatch';
import { childEnv } from '../../src/relay/runners/env';
import { buildPrompt } from '../../src/relay/runners/prompt';
import { LineSplitter, RUN_LOG_TAIL_BYTES, RunLog } from '../../src/relay/runners/run-log';
import { loadConfig, ConfigError } from '../../src/relay/config';
import type { HiringView } from '../../src/relay/types';

function view(over: Record<string, unknown> = {}, local: Partial<HiringView> = {}): HiringView {
  return {
    agent: 'alice',
    hiring: parseHiring({
      id: 'h1',
      status: 'paid',
      task_description: 'Write slugify',
      capability_requested: 'coding',
      price: '20.00',
      delivery_mode: 'output',
      ...over,
    }),
    phase: 'new',
    firstSeenAt: '',
    updatedAt: '',
    chunks: [],
    relayMessages: [],
    submissions: [],
    ...local,
  };
}

const runner = (over: Record<string, unknown> = {}) =>
  RunnerConfigSchema.parse({ name: 'r', command: ['agent'], ...over });

describe('runner config', () => {
  it('fills the defaults and reads AGRENTING_RELAY_RUNNERS, which replaces a file entry of the same name', () => {
    const list = parseRunners(
      [
        { name: 'claude', command: ['claude', '-p'] },
        { name: 'codex', command: ['codex', 'exec', '{prompt}'], prompt: 'argument' },
      ],
      {
        [RUNNERS_ENV]: JSON.stringify([{ name: 'claude', command: ['claude', '-p', '--verbose'], autoDispatch: true }]),
      },
    );
    expect(list.map((r) => r.name)).toEqual(['codex', 'claude']);
    expect(list[1]).toMatchObject({
      prompt: 'stdin',
      maxConcurrent: 1,
      timeoutMs: 1_800_000,
      maxAttempts: 3,
      autoDispatch: true,
      env: [],
    });
  });

  it('says what is wrong: a missing {prompt} token, a bad env name, unknown fields, bad JSON', () => {
    expect(() => parseRunners([{ name: 'a', command: ['x'], prompt: 'argument' }])).toThrow(
      /needs the token \{prompt\}/,
    );
    expect(() => parseRunners([{ name: 'a', command: ['x'], prompt: 'file' }])).toThrow(/\{promptFile\}/);
    expect(() => parseRunners([{ name: 'a', command: ['x'], env: ['NOT A NAME'] }])).toThrow(
      /environment variable name/,
    );
    expect(() => parseRunners([{ name: 'a', command: ['x'], apiKey: 'sk-literal' }])).toThrow(/apiKey/);
    expect(() => parseRunners(undefined, { [RUNNERS_ENV]: '{nope' })).toThrow(/not valid JSON/);
    expect(() =>
      parseRunners([
        { name: 'a', command: ['x'] },
        { name: 'a', command: ['y'] },
      ]),
    ).toThrow(/used twice/);
  });

  it('takes ./ and ../ arguments from the config file folder, since the CLI runs in the hiring folder', () => {
    const [r] = parseRunners(
      [{ name: 'a', command: ['node', './agent.mjs', '--flag', '../x/y', 'plain/rel'] }],
      {},
      'f',
      '/etc/relay',
    );
    expect(r.command).toEqual(['node', '/etc/relay/agent.mjs', '--flag', '/etc/x/y', 'plain/rel']);
  });

  it('reaches the relay config, with errors as ConfigError', () => {
    const cfg = loadConfig(['--sandbox'], {
      [RUNNERS_ENV]: JSON.stringify([{ name: 'fake', command: ['node', 'fake.mjs'] }]),
    });
    expect(cfg.runners.map((r) => r.name)).toEqual(['fake']);
    expect(() => loadConfig(['--sandbox'], { [RUNNERS_ENV]: '[{"name":"x"}]' })).toThrow(ConfigError);
  });
});

describe('dispatch rules', () => {
  it('takes only unhandled, active hirings', () => {
    expect(isUnhandled(view())).toBe(true);
    expect(isUnhandled(view({}, { phase: 'claimed', claimedBy: 'alice' }))).toBe(false);
    expect(isUnhandled(view({ status: 'cancelled' }))).toBe(false);
  });

  it("checks a runner's agents, capabilities, delivery modes and minimum price", () => {
    expect(runnerMismatch(runner(), view())).toBeUndefined();
    expect(runnerMismatch(runner({ agents: ['bob'] }), view())).toMatch(/agents bob/);
    expect(runnerMismatch(runner({ capabilities: ['writing'] }), view())).toMatch(/not "coding"/);
    expect(runnerMismatch(runner({ deliveryModes: ['push'] }), view())).toMatch(/not output/);
    expect(runnerMismatch(runner({ minPrice: 50 }), view())).toMatch(/from 50/);
  });

  it('gives the bridge its agents first, then the first autoDispatch runner that matches', () => {
    const manual = runner({ name: 'manual' });
    const auto = runner({ name: 'auto', autoDispatch: true });
    expect(autoHandler(view(), { bridgeAgents: new Set(['alice']), runners: [auto] })).toEqual({ kind: 'bridge' });
    expect(autoHandler(view(), { bridgeAgents: new Set(), runners: [manual, auto] })).toMatchObject({
      kind: 'runner',
      runner: { name: 'auto' },
    });
    expect(autoHandler(view(), { bridgeAgents: new Set(), runners: [manual] })).toBeUndefined();
    expect(
      autoHandler(view({}, { phase: 'claimed', claimedBy: 'x' }), { bridgeAgents: new Set(), runners: [auto] }),
    ).toBeUndefined();
  });
});

describe('child environment', () => {
  it('passes the allowlist and named variables, never relay secrets', () => {
    registerSecret('relay-operator-token-123456');
    const { env, refused } = childEnv(
      {
        PATH: '/bin',
        HOME: '/h',
        LC_ALL: 'C',
        SECRET_THING: 'x',
        MY_KEY: 'sk-abc-123456',
        AGRENTING_API_KEY: 'ap_agentkey123456',
        STOLEN: 'relay-operator-token-123456',
      },
      ['MY_KEY', 'AGRENTING_API_KEY', 'STOLEN', 'MISSING'],
      { AGRENTING_RELAY_TOKEN: 'rr_run' },
    );
    expect(Object.keys(env).sort()).toEqual([
      'AGRENTING_RELAY_TOKEN',
      'GIT_TERMINAL_PROMPT',
      'HOME',
      'LC_ALL',
      'MY_KEY',
      'PATH',
    ]);
    expect(refused.sort()).toEqual(['AGRENTING_API_KEY', 'STOLEN']);
  });
});

describe('prompt', () => {
  it('says what to do, where to leave it and how to reach the client; adds review feedback', () => {
    const h = parseHiring({
      id: 'h9',
      task_description: 'Fix the bug',
      client_message: 'Be quick',
      deadline_at: '2030-01-01T00:00:00Z',
      capability_requested: 'coding',
    });
    const out = buildPrompt({ hiring: h, mode: 'output', mcpUrl: 'http://127.0.0.1:1/mcp', attempt: 1, feedback: [] });
    expect(out).toContain('Fix the bug');
    expect(out).toContain('Be quick');
    expect(out).toContain('2030-01-01T00:00:00Z');
    expect(out).toContain('OUTPUT.md');
    expect(out).toContain('out/');
    expect(out).toContain('http://127.0.0.1:1/mcp');
    expect(out).toContain('add_hiring_message');
    expect(out).not.toContain('## Review feedback');
    const push = buildPrompt({
      hiring: h,
      mode: 'push',
      branch: 'agrenting/h9',
      mcpUrl: 'u',
      attempt: 2,
      feedback: ['Add tests'],
    });
    expect(push).toMatch(/Do not commit and do not push/);
    expect(push).toContain('agrenting/h9');
    expect(push).toContain('- Add tests');
  });

  it('substitutes {prompt} and {promptFile} in argv', () => {
    expect(
      childArgv({ command: ['aider', '--message', '{prompt}'], promptText: 'do it', promptFile: '/p.md' }),
    ).toEqual(['aider', '--message', 'do it']);
    expect(childArgv({ command: ['x', '--file={promptFile}'], promptText: 'p', promptFile: '/p.md' })).toEqual([
      'x',
      '--file=/p.md',
    ]);
  });
});

describe('run log', () => {
  it('splits lines across chunks and cuts an endless line', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    s.push('a\nb');
    s.push('c\r\n');
    s.push('x'.repeat(20_000));
    s.push('y'.repeat(20_000));
    s.push('\nend');
    s.end();
    expect(lines[0]).toBe('a');
    expect(lines[1]).toBe('bc');
    expect(lines[2].length).toBeLessThan(9000);
    expect(lines[2]).toMatch(/line cut/);
    expect(lines[3]).toBe('end');
  });

  it('keeps the last 256 KiB, redacted, and hands out bounded progress', () => {
    let grew = 0;
    const log = new RunLog(undefined, () => grew++);
    for (let i = 0; i < 5000; i++) {
      log.line('stdout', `line ${i} ${'z'.repeat(100)} ghp_abcdefghijklmnopqrstuvwxyz0123`);
    }
    expect(log.text().length).toBeLessThanOrEqual(RUN_LOG_TAIL_BYTES);
    expect(log.text()).toContain('line 4999');
    expect(log.text()).not.toContain('ghp_');
    const progress = log.takeProgress() ?? '';
    expect(progress.length).toBeLessThan(2200);
    expect(progress).toMatch(/^…\(\d+ lines\)/);
    expect(log.takeProgress()).toBeUndefined();
    expect(grew).toBe(5000);
  });
});
