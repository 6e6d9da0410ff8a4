// Client → server ping on a fixed interval. The SSE stream can die without a
// sound (a NAT drops it, a proxy holds it open); a ping that goes unanswered is
// the only reliable sign, so it declares the session dead.

export interface HeartbeatOptions {
  intervalMs: number;
  /** Sends one ping; rejects on timeout or any failure. */
  ping: () => Promise<void>;
  onDead: (err: Error) => void;
}

export function startHeartbeat(opts: HeartbeatOptions): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (stopped || opts.intervalMs <= 0) return;
    timer = setTimeout(beat, opts.intervalMs);
  };
  const beat = () => {
    opts.ping().then(schedule, (err: Error) => {
      if (!stopped) opts.onDead(err);
    });
  };
  schedule();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
