// The shared `Hiring` type is an Omit over a passthrough object, which widens its
// known fields (id, price, deadline_at...) to `unknown`. Intersecting it with the
// raw schema type gives them back their types; parseHiring produces exactly this.
import type { Hiring, RawHiring } from '../../shared/hiring';

export type KnownHiring = RawHiring & Hiring;

export function known(h: Hiring): KnownHiring {
  return h as KnownHiring;
}
