// The one way the core gets at a hiring's repository token (for cloning and pushing): it is
// kept in memory only, never journaled, so after a restart it is re-read from the platform.
import type { Hiring } from '../../shared/hiring';
import { safeError } from '../../shared/redact';
import type { HiringStore } from '../inbox/store';
import { RelayError, type HiringRecord } from '../types';
import type { LinkDirectory } from './ports';

/** The hiring with its repository token: from memory, or re-read from the platform. */
export async function hiringWithToken(store: HiringStore, links: LinkDirectory, rec: HiringRecord): Promise<Hiring> {
  const id = rec.hiring.id;
  if (!store.tokenKnown(id)) {
    const link = links.get(rec.agent);
    if (!link) {
      throw new RelayError(`Agent ${rec.agent} is not configured, so hiring ${id} cannot be re-read.`, 'unavailable');
    }
    let fresh: Hiring;
    try {
      fresh = await link.getHiring(id);
    } catch (e) {
      throw new RelayError(safeError(e, `Re-reading hiring ${id} from Agrenting failed`).message, 'unavailable');
    }
    await store.upsert(rec.agent, [fresh], 'rest');
    if (fresh.repo_access_token) return fresh;
  }
  const h = store.hiringWithToken(id);
  if (!h) throw new RelayError(`Unknown hiring ${id}.`, 'not_found');
  return h;
}
