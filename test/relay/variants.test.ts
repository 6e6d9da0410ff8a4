// Each sandbox variant knob value that matters to the relay: a hiring still
// arrives once, and a result still reaches the platform exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knobs } from '../../src/sandbox';
import { accepted, hireAndSee, startWorld, type World } from './helpers';
import { waitFor } from '../support/wait';

const VARIANTS: [string, Partial<Knobs>][] = [
  ['new hirings in_progress', { newHiringStatus: 'in_progress' }],
  ['new hirings queued', { newHiringStatus: 'queued' }],
  ['new hirings paid', { newHiringStatus: 'paid' }],
  ['an absolute endpoint URL', { endpointEvent: 'absolute' }],
  ['POST answers 202 with an empty body (the default puts the response in the body too)', { postAnswer: 'accepted' }],
  ['keep-alive comments', { keepAliveMs: 50 }],
  ['server pings every 100 ms', { ping: 'interval', pingIntervalMs: 100 }],
  ['duplicate notifications', { faultDuplicateNotificationRate: 1 }],
  ['latency on every answer', { latencyMs: 30 }],
];

describe.each(VARIANTS)('with %s', (_name, knobs) => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ review: 'off', knobs });
  });
  afterAll(async () => {
    await w.close();
  });

  it('gets the hiring once and delivers the result once', async () => {
    const id = await hireAndSee(w);
    expect(w.relay.listActive(w.worker).filter((v) => String(v.hiring.id) === id)).toHaveLength(1);
    await w.relay.submitResult(w.worker, { hiring_id: id, output: 'ok' });
    await waitFor('completion', () => w.sandbox.hiring(id)?.status === 'completed');
    await waitFor('done locally', () => w.relay.getHiring(w.worker, id).phase === 'done');
    expect(accepted(w, id)).toBe(1);
  });
});

describe.each([
  ['dropped streams', { sessionExpiry: 'drop', sessionTtlMs: 300 }],
  ['404 for expired sessions', { sessionExpiry: '404', sessionTtlMs: 300 }],
  ['410 for expired sessions', { sessionExpiry: '410', sessionTtlMs: 300 }],
] as [string, Partial<Knobs>][])('with sessions that expire (%s)', (_name, knobs) => {
  let w: World;
  beforeAll(async () => {
    // The client's own pings find a forgotten (404/410) session without waiting for a delivery.
    w = await startWorld({ review: 'required', knobs, linkTiming: { pingIntervalMs: 100, pingTimeoutMs: 1000 } });
  });
  afterAll(async () => {
    await w.close();
  });

  it('reconnects and still delivers an approved result exactly once', async () => {
    const id = await hireAndSee(w);
    const sub = await w.relay.submitResult(w.worker, { hiring_id: id, output: 'after expiry' });
    await waitFor('a reconnect', () => w.relay.status().links[0].reconnects > 0);
    await w.relay.approve(w.operator, sub.id);
    await waitFor('completion', () => w.sandbox.hiring(id)?.status === 'completed');
    expect(accepted(w, id)).toBe(1);
    // Hirings created after the expiry reach the relay too.
    await waitFor('a live session again', () => w.relay.status().links[0].state === 'connected');
    const later = await hireAndSee(w);
    expect(w.relay.getHiring(w.worker, later).phase).toBe('new');
  });
});

describe('with the platform answering REST 5xx and 429 and the session dropped', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ review: 'off', knobs: { faultRest5xxRate: 0.5, faultRest429Rate: 0.3 } });
  });
  afterAll(async () => {
    await w.close();
  });

  it('retries deliveries until the platform confirms, and confirms once', async () => {
    const id = await hireAndSee(w);
    // The MCP session goes away, so the delivery must use the flaky REST fallback or wait for the reconnect.
    w.sandbox.dropSessions(w.agentId);
    await w.relay.submitResult(w.worker, { hiring_id: id, output: 'through the storm' });
    await waitFor('completion', () => w.sandbox.hiring(id)?.status === 'completed', 20_000);
    expect(accepted(w, id)).toBe(1);
  });
});
