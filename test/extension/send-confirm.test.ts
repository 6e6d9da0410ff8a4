import { describe, expect, it } from 'vitest';
import { buildOutputSubmission } from '../../src/relay/delivery/output';
import { SEND_BUTTON, confirmSend, preview, sendOutcome } from '../../src/extension/view-models/send-confirm';
import { submission, view } from './fixtures';

describe("confirming the operator's own submission", () => {
  it('names the hiring, its mode and the text about to be sent', () => {
    const v = view('h1', 'claimed', { task_description: 'Write a haiku about relays' });
    const args = buildOutputSubmission({
      hiringId: 'h1',
      text: { content: 'Relays hum at night\nMessages wait', language: 'markdown' },
    });
    const c = confirmSend(v, { kind: 'result', args });
    expect(c.message).toBe('Send the result of "Write a haiku about relays" to the client?');
    expect(c.detail).toContain('Hiring: Write a haiku about relays');
    expect(c.detail).toContain('Mode: output');
    expect(c.detail).toContain('Result:\nRelays hum at night\nMessages wait');
    expect(c.detail).toContain('without review');
    expect(SEND_BUTTON).toBe('Send to Client');
  });

  it('lists attached files and says a push-mode result is committed and pushed first', () => {
    const files = buildOutputSubmission({
      hiringId: 'h1',
      files: [
        { name: 'a.txt', content: Buffer.from('a') },
        { name: 'b.md', content: Buffer.from('b') },
      ],
    });
    expect(confirmSend(view('h1', 'claimed'), { kind: 'result', args: files }).detail).toContain(
      'Files (2): a.txt, b.md',
    );
    const push = view('h2', 'claimed', { delivery_mode: 'push', repo_url: 'https://git.example/r.git' });
    const d = confirmSend(push, {
      kind: 'result',
      args: { hiring_id: 'h2', output: { summary: 'Documented the sandbox' } },
    }).detail;
    expect(d).toContain('Mode: push');
    expect(d).toContain('Summary: Documented the sandbox');
    expect(d).toContain('pushes the branch agrenting/h2');
  });

  it('shows the failure reason and that the client is refunded', () => {
    const c = confirmSend(view('h1', 'claimed', { task_description: 'Port the build to Bazel' }), {
      kind: 'failure',
      error: 'capability_mismatch',
      reason: 'No Bazel here.',
    });
    expect(c.message).toBe('Report "Port the build to Bazel" as failed to the client?');
    expect(c.detail).toContain('Reason (capability_mismatch): No Bazel here.');
    expect(c.detail).toContain('refunded');
  });

  it('cuts a long preview to a few lines and marks the cut', () => {
    const long = Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n');
    const p = preview(long);
    expect(p.split('\n')).toHaveLength(8);
    expect(p.endsWith('…')).toBe(true);
    expect(preview('x'.repeat(1000))).toHaveLength(301);
    expect(preview('short')).toBe('short');
  });

  it('survives a malformed result (no output, odd artifacts)', () => {
    const c = confirmSend(view('h1', 'claimed'), {
      kind: 'result',
      args: { hiring_id: 'h1', artifacts: [null, { name: 3 }, 'x'] },
    });
    expect(c.detail).toContain('Mode: output');
    expect(c.detail).not.toContain('Files');
  });
});

describe('what the operator is told after sending', () => {
  const v = view('h1', 'claimed', { task_description: 'Write a haiku' });
  it('says delivered, or on its way', () => {
    expect(sendOutcome(v, submission('s1', 'h1', { state: 'delivered' }))).toEqual({
      ok: true,
      message: 'Agrenting: the client has the result of "Write a haiku".',
    });
    expect(sendOutcome(v, submission('s1', 'h1', { state: 'delivering' })).message).toContain(
      'on its way to the client',
    );
    expect(sendOutcome(v, submission('s1', 'h1', { kind: 'failure', state: 'delivered' })).message).toContain(
      'the client is refunded',
    );
  });

  it("carries the relay's reason when sending failed, and never claims success", () => {
    const failed = sendOutcome(
      v,
      submission('s1', 'h1', { state: 'failed', error: 'Pushing the changes of hiring h1 failed: remote rejected' }),
    );
    expect(failed.ok).toBe(false);
    expect(failed.message).toContain('remote rejected');
    expect(sendOutcome(v, submission('s1', 'h1', { state: 'awaiting_review' })).ok).toBe(false);
  });
});
