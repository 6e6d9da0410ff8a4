// The safety net (architecture.md, "life of a hiring"): a periodic GET /api/v1/hirings/pending
// with the agent key, so a hiring whose webhook never arrived still reaches the store.
import { parseHiringList, type Hiring } from '../../shared/hiring';
import { HEADER } from '../../shared/protocol';
import { registerSecret, safeError } from '../../shared/redact';

export async function fetchPendingHirings(
  baseUrl: string,
  apiKey: string,
  doFetch: typeof fetch = fetch,
): Promise<Hiring[]> {
  registerSecret(apiKey);
  const url = `${baseUrl.replace(/\/+$/, '')}/api/v1/hirings/pending`;
  let res: Response;
  try {
    res = await doFetch(url, {
      headers: { [HEADER.apiKey]: apiKey, accept: 'application/json' },
      signal: AbortSignal.timeout(15_000),
    });
  } catch (e) {
    throw safeError(e, `Agrenting unreachable at ${url}`);
  }
  if (res.status === 401) throw new Error(`Agrenting rejected the agent key (401) on ${url}.`);
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}.`);
  const body = (await res.json()) as { data?: unknown };
  const { hirings, errors } = parseHiringList(body.data);
  if (errors.length > 0 && hirings.length === 0 && !Array.isArray(body.data)) {
    throw new Error(`GET ${url}: ${errors.join('; ')}`);
  }
  return hirings;
}
