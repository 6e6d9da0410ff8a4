// Shared pieces of the bridge tests: an in-process S3 (s3rver), waiting on conditions, requests.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import S3rver from 's3rver';
import { S3TaskStore } from '../../src/relay/bridge/s3-store';

export interface S3Fixture {
  endpoint: string;
  dir: string;
  store: S3TaskStore;
  close(): Promise<void>;
}

export async function startS3(): Promise<S3Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 's3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: [{ name: 'hiclaw-storage' }],
  });
  const addr = await server.run();
  const endpoint = `http://127.0.0.1:${addr.port}`;
  const store = new S3TaskStore({ endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
  return {
    endpoint,
    dir,
    store,
    close: async () => {
      store.destroy();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Every file under dir, as paths relative to it. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(dir, p));
    }
  };
  await walk(dir);
  return out.sort();
}

export function payload(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    hiring_id: id,
    agent_id: 'agent-uuid-1',
    task: { description: `Fix the login bug\nThe login form rejects valid emails (${id}).` },
    customer_id: 'cust-1',
    price: '25.00',
    capability: 'coding',
    task_input: { delivery_mode: 'output' },
    client_message: 'Please add a test.',
    deadline_at: '2030-01-01T00:00:00Z',
    callback: `http://platform/api/v1/hirings/${id}/result`,
    timestamp: new Date().toISOString(),
    ...extra,
  };
}
