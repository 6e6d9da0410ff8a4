// Knob parsing (CLI form), the live knobs object (code form), money, idempotency, start options.
import { describe, expect, it } from 'vitest';
import { DEFAULT_KNOBS, KnobError, liveKnobs, parseKnobAssignment } from '../../src/sandbox/knobs';
import { IdempotencyCache } from '../../src/sandbox/idempotency';
import { fromCents, toCents } from '../../src/sandbox/money';
import { startSandbox } from '../../src/sandbox/index';
import { memoryLogger } from '../../src/shared/log';

describe('knobs', () => {
  it('parses name=value with conversions and aliases', () => {
    expect(parseKnobAssignment('endpointEvent=absolute')).toEqual(['endpointEvent', 'absolute']);
    expect(parseKnobAssignment('postAnswer=200')).toEqual(['postAnswer', 'body']);
    expect(parseKnobAssignment('sessionExpiry=410')).toEqual(['sessionExpiry', '410']);
    expect(parseKnobAssignment('repoFields=top-level')).toEqual(['repoFields', 'top_level']);
    expect(parseKnobAssignment('latencyMs=25')).toEqual(['latencyMs', 25]);
    expect(parseKnobAssignment('faultDuplicateNotificationRate=true')).toEqual(['faultDuplicateNotificationRate', 1]);
    expect(parseKnobAssignment('startingBalance=50')).toEqual(['startingBalance', '50']);
  });

  it('rejects unknown knobs and bad values with a sentence naming the choices', () => {
    expect(() => parseKnobAssignment('nope=1')).toThrow(/unknown knob nope/);
    expect(() => parseKnobAssignment('ping')).toThrow(/name=value/);
    expect(() => parseKnobAssignment('ping=sometimes')).toThrow(/on_hire, interval, never/);
    expect(() => parseKnobAssignment('latencyMs=-5')).toThrow(KnobError);
    expect(() => parseKnobAssignment('faultRest5xxRate=2')).toThrow(/probability/);
  });

  it('validates live assignments and announces them', () => {
    const { knobs, changes } = liveKnobs({ ping: 'never' });
    const seen: string[] = [];
    changes.on('change', (n: string) => seen.push(n));
    expect(knobs.ping).toBe('never');
    knobs.keepAliveMs = 15;
    expect(knobs.keepAliveMs).toBe(15);
    expect(() => {
      knobs.newHiringStatus = 'done' as never;
    }).toThrow(KnobError);
    expect(knobs.newHiringStatus).toBe(DEFAULT_KNOBS.newHiringStatus);
    expect(seen).toEqual(['keepAliveMs']);
    expect(() => liveKnobs({ bogus: 1 } as never)).toThrow(/unknown knob/);
  });
});

describe('money and idempotency', () => {
  it('counts cents exactly', () => {
    expect(toCents('25')).toBe(2500);
    expect(toCents('0.1')).toBe(10);
    expect(toCents(12.5)).toBe(1250);
    expect(toCents('1.234')).toBeUndefined();
    expect(toCents('-3')).toBeUndefined();
    expect(fromCents(1005)).toBe('10.05');
    expect(fromCents(-250)).toBe('-2.50');
  });

  it('treats reordered JSON as the same body and expires keys after the TTL', () => {
    let ttl = 60_000;
    const cache = new IdempotencyCache(() => ttl);
    const first = cache.admit('a', 'k', 'POST', '/x', '{"a":1,"b":2}');
    expect(first.kind).toBe('new');
    expect(cache.admit('a', 'k', 'POST', '/x', '{"b":2,"a":1}').kind).toBe('pending');
    if (first.kind === 'new') first.finish({ status: 200, body: { ok: true } });
    expect(cache.admit('a', 'k', 'POST', '/x', '{ "b": 2, "a": 1 }')).toEqual({
      kind: 'replay',
      answer: { status: 200, body: { ok: true } },
    });
    expect(cache.admit('a', 'k', 'POST', '/y', '{"a":1,"b":2}').kind).toBe('mismatch');
    expect(cache.admit('b', 'k', 'POST', '/x', '{"a":1,"b":2}').kind).toBe('new');
    ttl = -1;
    expect(cache.admit('a', 'k', 'POST', '/y', '{}').kind).toBe('new');
  });
});

describe('startSandbox options', () => {
  it('explains a port that is taken', async () => {
    const first = await startSandbox({ log: memoryLogger() });
    const port = Number(new URL(first.url).port);
    await expect(startSandbox({ port, log: memoryLogger() })).rejects.toThrow(
      /cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/,
    );
    await first.close();
  });

  it('rejects unknown knobs and bad values at start', async () => {
    await expect(startSandbox({ knobs: { ping: 'often' as never } })).rejects.toThrow(KnobError);
  });
});
