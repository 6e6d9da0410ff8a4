import { describe, expect, it } from 'vitest';
import { TOOL } from '../../src/shared/protocol';
import {
  CHECK_HIRING,
  outcomeFromHiringCheck,
  outcomeFromRest,
  outcomeFromToolResult,
  restFormOf,
} from '../../src/relay/upstream/outcome';
import { retryAfterMs } from '../../src/relay/upstream/http';

const text = (t: string, isError = false) => ({ content: [{ type: 'text' as const, text: t }], isError });
const env = (code: string, message: string) => JSON.stringify({ data: null, errors: [{ code, message }] });

describe('outcomeFromToolResult', () => {
  it('confirms a success and parses its JSON text', () => {
    expect(outcomeFromToolResult(TOOL.submitResult, text('{"status":"completed"}'))).toEqual({
      kind: 'confirmed',
      result: { status: 'completed' },
    });
    expect(outcomeFromToolResult(TOOL.submitResult, text('ok'))).toEqual({ kind: 'confirmed', result: 'ok' });
  });

  it('maps "already completed/failed" to already-done', () => {
    expect(outcomeFromToolResult(TOOL.submitResult, text('Hiring abc is already completed', true))).toMatchObject({
      kind: 'already-done',
    });
    expect(
      outcomeFromToolResult(TOOL.submitResult, text('hiring already in a terminal state (failed)', true)),
    ).toMatchObject({ kind: 'already-done' });
  });

  it('a message or chunk to a finished hiring is rejected, not "done"', () => {
    expect(outcomeFromToolResult(TOOL.addMessage, text('Hiring abc is already completed', true))).toMatchObject({
      kind: 'rejected',
    });
    expect(outcomeFromToolResult(TOOL.emitChunk, text('Hiring abc is already failed', true))).toMatchObject({
      kind: 'rejected',
    });
  });

  it('asks for a hiring check on "not found", rejects invalid or foreign, retries transient errors', () => {
    expect(outcomeFromToolResult(TOOL.submitResult, text('Hiring not found', true))).toBe(CHECK_HIRING);
    expect(outcomeFromToolResult(TOOL.submitResult, text('Invalid arguments: output is required', true))).toMatchObject(
      { kind: 'rejected' },
    );
    expect(outcomeFromToolResult(TOOL.submitResult, text('This hiring is not yours', true))).toMatchObject({
      kind: 'rejected',
    });
    expect(outcomeFromToolResult(TOOL.submitResult, text('Internal error, try again', true))).toMatchObject({
      kind: 'retry',
    });
  });

  it('redacts secrets in the message', () => {
    const o = outcomeFromToolResult(TOOL.submitResult, text('invalid token=abcdefgh12345', true));
    expect(JSON.stringify(o)).not.toContain('abcdefgh12345');
  });
});

describe('outcomeFromRest', () => {
  const what = 'POST /api/v1/hirings/h1/result';
  it('confirms 2xx with the envelope data', () => {
    expect(outcomeFromRest({ status: 200, body: '{"data":{"id":"h1"}}' }, what)).toEqual({
      kind: 'confirmed',
      result: { id: 'h1' },
    });
    expect(outcomeFromRest({ status: 201, body: '' }, what)).toEqual({ kind: 'confirmed', result: undefined });
  });
  it('sends 404 to a hiring check', () => {
    expect(outcomeFromRest({ status: 404, body: env('NOT_FOUND', 'Hiring not found') }, what)).toBe(CHECK_HIRING);
  });
  it('retries 5xx, 429 with retry-after, 409 IDEMPOTENCY_PENDING and 401', () => {
    expect(outcomeFromRest({ status: 500, body: env('INTERNAL_ERROR', 'boom') }, what)).toMatchObject({
      kind: 'retry',
    });
    expect(outcomeFromRest({ status: 503, body: '' }, what)).toMatchObject({ kind: 'retry' });
    expect(
      outcomeFromRest({ status: 429, body: env('RATE_LIMIT_EXCEEDED', 'slow down'), retryAfterMs: 7000 }, what),
    ).toEqual({
      kind: 'retry',
      message: expect.stringContaining('RATE_LIMIT_EXCEEDED'),
      retryAfterMs: 7000,
    });
    expect(outcomeFromRest({ status: 409, body: env('IDEMPOTENCY_PENDING', 'still running') }, what)).toMatchObject({
      kind: 'retry',
    });
    expect(outcomeFromRest({ status: 401, body: env('UNAUTHORIZED', 'bad key') }, what)).toMatchObject({
      kind: 'retry',
    });
  });
  it('rejects 422, 403 and 400', () => {
    expect(outcomeFromRest({ status: 422, body: env('VALIDATION_ERROR', 'output is required') }, what)).toMatchObject({
      kind: 'rejected',
      message: expect.stringContaining('output is required'),
    });
    expect(outcomeFromRest({ status: 422, body: env('IDEMPOTENCY_MISMATCH', 'other body') }, what)).toMatchObject({
      kind: 'rejected',
    });
    expect(outcomeFromRest({ status: 403, body: env('FORBIDDEN', 'not yours') }, what)).toMatchObject({
      kind: 'rejected',
    });
    expect(outcomeFromRest({ status: 400, body: 'garbage' }, what)).toMatchObject({ kind: 'rejected' });
  });
});

describe('outcomeFromHiringCheck', () => {
  it('terminal hiring: already-done for result and failure, rejected for messages', () => {
    expect(outcomeFromHiringCheck(TOOL.submitResult, 'h1', 'completed')).toMatchObject({ kind: 'already-done' });
    expect(outcomeFromHiringCheck(TOOL.reportFailure, 'h1', 'failed')).toMatchObject({ kind: 'already-done' });
    expect(outcomeFromHiringCheck(TOOL.addMessage, 'h1', 'completed')).toMatchObject({ kind: 'rejected' });
  });
  it('unknown hiring is rejected; an active one is retried', () => {
    expect(outcomeFromHiringCheck(TOOL.submitResult, 'h1', 'missing')).toMatchObject({
      kind: 'rejected',
      message: expect.stringContaining('h1'),
    });
    expect(outcomeFromHiringCheck(TOOL.submitResult, 'h1', 'in_progress')).toMatchObject({ kind: 'retry' });
  });
});

describe('restFormOf', () => {
  it('maps the three tools with a REST form and keeps only their fields', () => {
    expect(restFormOf(TOOL.submitResult, { hiring_id: 'h', output: { a: 1 }, artifacts: [] })).toEqual({
      kind: 'result',
      body: { output: { a: 1 }, artifacts: [] },
    });
    expect(restFormOf(TOOL.reportFailure, { hiring_id: 'h', reason: 'r', error: 'timeout' })).toEqual({
      kind: 'failure',
      body: { reason: 'r', error: 'timeout' },
    });
    expect(restFormOf(TOOL.addMessage, { hiring_id: 'h', content: 'c' })).toEqual({
      kind: 'messages',
      body: { content: 'c' },
    });
    expect(restFormOf(TOOL.emitChunk, { hiring_id: 'h', content: 'c' })).toBeUndefined();
  });
});

describe('retryAfterMs', () => {
  it('reads delta-seconds and HTTP dates, ignores garbage', () => {
    expect(retryAfterMs({ 'retry-after': '3' })).toBe(3000);
    expect(retryAfterMs({ 'retry-after': new Date(10_000).toUTCString() }, 4_000)).toBe(6000);
    expect(retryAfterMs({ 'retry-after': 'soon' })).toBeUndefined();
    expect(retryAfterMs({})).toBeUndefined();
  });
});
