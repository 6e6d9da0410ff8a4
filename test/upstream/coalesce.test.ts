import { describe, expect, it } from 'vitest';
import { Coalescer } from '../../src/relay/upstream/coalesce';

function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
}

describe('Coalescer', () => {
  it('runs once more after a burst, never in parallel', async () => {
    let running = 0;
    let maxParallel = 0;
    let runs = 0;
    const gates = [gate(), gate()];
    const c = new Coalescer(async () => {
      running += 1;
      maxParallel = Math.max(maxParallel, running);
      await gates[runs]?.p;
      runs += 1;
      running -= 1;
    });
    const first = c.trigger();
    for (let i = 0; i < 20; i++) void c.trigger();
    gates[0].open();
    gates[1].open();
    await first;
    expect(runs).toBe(2);
    expect(maxParallel).toBe(1);
    expect(c.busy).toBe(false);
  });

  it('keeps going after a failing run', async () => {
    let runs = 0;
    const c = new Coalescer(async () => {
      runs += 1;
      if (runs === 1) throw new Error('boom');
    });
    const p = c.trigger();
    void c.trigger();
    await p;
    expect(runs).toBe(2);
    await c.trigger();
    expect(runs).toBe(3);
  });
});
