// X-Idempotency-Key semantics (§6): keys live for a TTL; a repeat with the same
// body gets the original answer, a repeat while the first is still running gets
// 409 IDEMPOTENCY_PENDING, the same key with another body 422 IDEMPOTENCY_MISMATCH.
import { createHash } from 'node:crypto';

export interface StoredAnswer {
  status: number;
  body: unknown;
}

type Entry = { fingerprint: string; at: number; answer?: StoredAnswer };

export type Admission =
  | { kind: 'new'; finish: (answer: StoredAnswer) => void; abandon: () => void }
  | { kind: 'replay'; answer: StoredAnswer }
  | { kind: 'pending' }
  | { kind: 'mismatch' };

export class IdempotencyCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly ttlMs: () => number) {}

  /** `scope` separates callers (agent id) and routes, so keys from different agents never collide. */
  admit(scope: string, key: string, method: string, path: string, body: string): Admission {
    this.prune();
    const id = `${scope}\u0000${key}`;
    const fingerprint = createHash('sha256')
      .update(`${method} ${path}\n${canonical(body)}`)
      .digest('hex');
    const existing = this.entries.get(id);
    if (existing) {
      if (existing.fingerprint !== fingerprint) return { kind: 'mismatch' };
      return existing.answer ? { kind: 'replay', answer: existing.answer } : { kind: 'pending' };
    }
    const entry: Entry = { fingerprint, at: Date.now() };
    this.entries.set(id, entry);
    return {
      kind: 'new',
      finish: (answer) => {
        entry.answer = answer;
      },
      // A failure of the sandbox itself must not pin the key: the retry runs afresh.
      abandon: () => {
        if (this.entries.get(id) === entry) this.entries.delete(id);
      },
    };
  }

  list(): { key: string; state: 'pending' | 'done'; at: string }[] {
    this.prune();
    return [...this.entries.entries()].map(([id, e]) => ({
      key: id.split('\u0000')[1] ?? id,
      state: e.answer ? 'done' : 'pending',
      at: new Date(e.at).toISOString(),
    }));
  }

  /** Entries are inserted in time order, so expired ones are all at the front. */
  private prune(): void {
    const cutoff = Date.now() - this.ttlMs();
    for (const [id, e] of this.entries) {
      if (e.at >= cutoff) break;
      this.entries.delete(id);
    }
  }
}

/** Same JSON with different whitespace or key order is the same body. */
function canonical(body: string): string {
  try {
    return JSON.stringify(sortKeys(JSON.parse(body) as unknown));
  } catch {
    return body;
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, sortKeys(x)]),
    );
  }
  return v;
}
