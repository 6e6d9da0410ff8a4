// The baseline subscriber for the latency benchmark: the relay's own upstream
// link (createAgentLink) used on its own, straight against the sandbox, in its
// own process — as the relay's link is — so the sandbox's work in the benchmark
// process does not slow it (at 1 000 hirings, sharing one event loop made the
// sandbox's probes time out). Reports, over IPC, each hiring id with the
// absolute time (performance.timeOrigin + now) it first reached the listener.
import { createAgentLink } from '../../src/relay/upstream';
import { createLogger } from '../../src/shared/log';

const baseUrl = process.env.DIRECT_BASE_URL ?? '';
const apiKey = process.env.DIRECT_API_KEY ?? '';
const seen = new Set<string>();

const link = createAgentLink({
  agent: 'direct',
  baseUrl,
  apiKey,
  log: createLogger('direct', { level: 'error', sink: () => undefined }),
  listener: {
    onHirings: (_agent, list) => {
      const at = performance.timeOrigin + performance.now();
      const fresh: string[] = [];
      for (const h of list) {
        const id = String(h.id);
        if (!seen.has(id)) {
          seen.add(id);
          fresh.push(id);
        }
      }
      if (fresh.length) process.send?.({ seen: fresh, at });
    },
    onStatus: () => undefined,
  },
});
link.start();
process.on('disconnect', () => {
  void link.stop().then(() => process.exit(0));
});
