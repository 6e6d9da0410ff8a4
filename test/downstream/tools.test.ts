// Tool calls: argument validation, errors a person can act on, no secrets in answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerSecret } from '../../src/shared/redact';
import { RelayError } from '../../src/relay/types';
import {
  TOKENS,
  jsonOf,
  key,
  sseClient,
  startTestRelay,
  streamableClient,
  textOf,
  type TestClient,
  type TestRelay,
} from './helpers';

let t: TestRelay;
let worker: TestClient;
let operator: TestClient;

beforeAll(async () => {
  t = await startTestRelay();
  t.core.addHiring('alpha', { id: 'ht' });
  t.core.addHiring('alpha', { id: 'ht-done', status: 'completed' });
  t.core.addHiring('alpha', {
    id: 'ht-push',
    delivery_mode: 'push',
    task_input: {
      delivery_mode: 'push',
      repo_url: 'https://git.example/o/r.git',
      repo_access_token: 'ghs_pushtokenABCDEFGHIJ123456',
    },
  });
  worker = await sseClient(t.server.url, key(TOKENS.workers.alpha));
  operator = await streamableClient(t.server.url, key(TOKENS.operator));
});

afterAll(async () => {
  await worker.close();
  await operator.close();
  await t.server.close();
});

describe('tool argument validation', () => {
  it.each([
    ['submit_hiring_result', 'no hiring_id', { output: 'x' }, /hiring_id/],
    ['submit_hiring_result', 'no output', { hiring_id: 'ht' }, /output/],
    [
      'submit_hiring_result',
      'an unknown artifact type',
      { hiring_id: 'ht', output: 'x', artifacts: [{ artifact_type: 'video', name: 'a', content: '' }] },
      /artifacts\.0\.artifact_type/,
    ],
    ['report_hiring_failure', 'an unknown error kind', { hiring_id: 'ht', reason: 'no', error: 'bored' }, /error/],
    [
      'add_hiring_message',
      'content over 5000 characters',
      { hiring_id: 'ht', content: 'x'.repeat(5001) },
      /5000 characters/,
    ],
    ['task_emit_chunk', 'an unknown chunk kind', { hiring_id: 'ht', content: 'x', kind: 'shout' }, /kind/],
    ['claim_hiring', 'no hiring_id', {}, /hiring_id/],
    ['prepare_workspace', 'an empty hiring_id', { hiring_id: '' }, /hiring_id is required/],
  ])('%s with %s is refused with a sentence naming the problem', async (name, _what, args, problem) => {
    const before = t.core.calls.length;
    const result = await worker.client.callTool({ name, arguments: args });
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text).toMatch(problem);
    expect(text).toMatch(/arguments are not valid/);
    expect(t.core.calls.slice(before).map((c) => c.method)).not.toContain('submitResult');
  });

  it('names the hiring in the error when it is known', async () => {
    const result = await worker.client.callTool({
      name: 'add_hiring_message',
      arguments: { hiring_id: 'ht', content: '' },
    });
    expect(textOf(result)).toMatch(/hiring ht/);
  });

  it('requires feedback to reject', async () => {
    const result = await operator.client.callTool({
      name: 'reject_submission',
      arguments: { submission_id: 's', feedback: '  ' },
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/feedback is required/);
  });
});

describe('tool errors from the relay', () => {
  it('turns a RelayError into isError with the hiring id', async () => {
    const unknown = await worker.client.callTool({
      name: 'submit_hiring_result',
      arguments: { hiring_id: 'h-missing', output: 'x' },
    });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toBe(
      'Could not submit the result (hiring h-missing): hiring h-missing is not known to the relay for this agent',
    );
    const done = await worker.client.callTool({
      name: 'report_hiring_failure',
      arguments: { hiring_id: 'ht-done', reason: 'too hard' },
    });
    expect(textOf(done)).toMatch(/hiring ht-done.*already completed/);
    const outputMode = await worker.client.callTool({ name: 'prepare_workspace', arguments: { hiring_id: 'ht' } });
    expect(textOf(outputMode)).toMatch(/prepare the workspace \(hiring ht\).*output mode/);
  });

  it('turns an unexpected error into a sentence without secrets, and logs it redacted', async () => {
    registerSecret('s3cr3t-value-xyz');
    t.core.failNext = { method: 'emitChunk', error: new Error('socket hang up while sending s3cr3t-value-xyz') };
    const result = await worker.client.callTool({
      name: 'task_emit_chunk',
      arguments: { hiring_id: 'ht', content: 'working' },
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/send the progress chunk \(hiring ht\).*unexpected error.*socket hang up/);
    expect(textOf(result)).not.toContain('s3cr3t-value-xyz');
    expect(t.log.lines.some((l) => l.includes('tool task_emit_chunk failed'))).toBe(true);
    expect(t.log.lines.join('\n')).not.toContain('s3cr3t-value-xyz');
  });

  it('answers a conflict from the core as isError', async () => {
    t.core.failNext = { method: 'claim', error: new RelayError('hiring ht is already claimed by beta', 'conflict') };
    const result = await worker.client.callTool({ name: 'claim_hiring', arguments: { hiring_id: 'ht' } });
    expect(textOf(result)).toBe('Could not claim the hiring (hiring ht): hiring ht is already claimed by beta');
  });

  it('answers an unknown tool as isError', async () => {
    const result = await worker.client.callTool({ name: 'make_coffee', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/no tool named "make_coffee"/);
  });
});

describe('tool results', () => {
  it('never returns the repository token, and passes a push plan through', async () => {
    const claimed = await worker.client.callTool({ name: 'claim_hiring', arguments: { hiring_id: 'ht-push' } });
    expect(textOf(claimed)).not.toContain('ghs_pushtoken');
    expect(jsonOf<{ hiring: { repo_url: string } }>(claimed).hiring.repo_url).toBe('https://git.example/o/r.git');
    const sub = await worker.client.callTool({
      name: 'submit_hiring_result',
      arguments: {
        hiring_id: 'ht-push',
        output: { summary: 'done' },
        push: { commitMessage: 'Fix bug', openPullRequest: true },
      },
    });
    const submission = jsonOf<{ push: { commitMessage: string; openPullRequest: boolean } }>(sub);
    expect(submission.push).toMatchObject({ commitMessage: 'Fix bug', openPullRequest: true });
  });

  it('rejects with feedback as a relay-local message on the hiring', async () => {
    const sub = jsonOf<{ id: string }>(
      await worker.client.callTool({
        name: 'report_hiring_failure',
        arguments: { hiring_id: 'ht', reason: 'blocked', error: 'other' },
      }),
    );
    const rejected = await operator.client.callTool({
      name: 'reject_submission',
      arguments: { submission_id: sub.id, feedback: 'Try once more' },
    });
    expect(jsonOf(rejected)).toMatchObject({ id: sub.id, state: 'rejected', feedback: 'Try once more' });
    const hiring = await worker.client.readResource({ uri: 'hiring://ht' });
    expect(String((hiring.contents[0] as { text: string }).text)).toContain('Try once more');
  });
});
