// Test double for a slow disk, preloaded into the relay process with `--import`:
// every fsync/fdatasync through a FileHandle (how the journal makes a record durable)
// waits SLOW_FSYNC_MS (default 200) before it runs. Writes still happen and are still
// synced; only the wait before each sync is added.
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const delayMs = Number(process.env.SLOW_FSYNC_MS ?? 200);
// A preload may finish before the program starts: the prototype is patched before any journal opens.
const handle = await open(fileURLToPath(import.meta.url), 'r');
const proto = Object.getPrototypeOf(handle);
for (const name of ['sync', 'datasync']) {
  const real = proto[name];
  proto[name] = async function slowSync() {
    await sleep(delayMs);
    return real.call(this);
  };
}
await handle.close();
