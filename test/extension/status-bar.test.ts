import { describe, expect, it } from 'vitest';
import { statusBarModel, statusDetails, upstreamState } from '../../src/extension/view-models/status-bar';
import { status } from './fixtures';

describe('status bar', () => {
  it('shows a plug and what is waiting when everything is connected', () => {
    const m = statusBarModel({
      connection: 'connected',
      status: status(),
      newHirings: 2,
      reviewsWaiting: 1,
      relayUrl: 'http://127.0.0.1:7391',
    });
    expect(m.text).toBe('$(plug) Agrenting: 2 new · 1 to review');
    expect(m.accessibilityLabel).toBe('Agrenting, connected, 2 new, 1 to review');
    expect(m.severity).toBeUndefined();
    expect(m.tooltip).toContain('Relay: http://127\\.0\\.0\\.1:7391');
  });

  it('spins while reconnecting to the relay and shows the last error', () => {
    const m = statusBarModel({
      connection: 'reconnecting',
      lastError: 'connect ECONNREFUSED 127.0.0.1:7391',
      newHirings: 0,
      reviewsWaiting: 0,
    });
    expect(m.text).toBe('$(sync~spin) Agrenting');
    expect(m.tooltip).toContain('Last error: connect ECONNREFUSED');
  });

  it('shows a disconnected plug when the relay is offline', () => {
    const m = statusBarModel({ connection: 'offline', newHirings: 0, reviewsWaiting: 0 });
    expect(m.text).toBe('$(debug-disconnect) Agrenting');
    expect(m.severity).toBe('error');
  });

  it('reflects the worst upstream link with its error', () => {
    const s = status({
      links: [
        { agent: 'a', state: 'connected', reconnects: 0 },
        { agent: 'b', state: 'offline', reconnects: 3, lastError: 'Agrenting rejected the agent key (401)' },
      ],
    });
    expect(upstreamState(s)).toBe('offline');
    const m = statusBarModel({ connection: 'connected', status: s, newHirings: 0, reviewsWaiting: 0 });
    expect(m.text).toBe('$(debug-disconnect) Agrenting');
    expect(m.tooltip).toContain('- b: offline — Agrenting rejected the agent key \\(401\\)');
    expect(upstreamState(status({ links: [{ agent: 'a', state: 'reconnecting', reconnects: 1 }] }))).toBe(
      'reconnecting',
    );
    expect(upstreamState(undefined)).toBe('none');
  });

  it('lists the relay, each link and shortcuts in the details', () => {
    const items = statusDetails({
      connection: 'connected',
      status: status({ links: [{ agent: 'default', state: 'reconnecting', reconnects: 2, lastError: 'HTTP 503' }] }),
      newHirings: 1,
      reviewsWaiting: 0,
      relayUrl: 'http://127.0.0.1:7391',
    });
    expect(items[0].label).toBe('$(server-process) Relay: connected');
    expect(items[1]).toMatchObject({
      label: '$(sync~spin) Agent default: reconnecting',
      detail: 'Last error: HTTP 503',
    });
    expect(items[1].description).toContain('2 reconnects');
    expect(items.map((i) => i.command)).toContain('agrenting.relay.restart');
  });
});

describe('status bar before setup', () => {
  it('does not alarm when nothing is set up yet', () => {
    const m = statusBarModel({ connection: 'offline', newHirings: 0, reviewsWaiting: 0, configured: false });
    expect(m.severity).toBeUndefined();
    expect(m.accessibilityLabel).toContain('not set up');
  });
});
