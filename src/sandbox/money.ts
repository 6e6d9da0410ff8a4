// Prices are decimal strings in USD ("25.00"); the ledger counts integer cents
// so escrow, release and refund always add up exactly.

/** Cents from "25", "25.5", "25.00" or a number; undefined when it is not a price. */
export function toCents(price: unknown): number | undefined {
  const text = typeof price === 'number' ? price.toFixed(2) : typeof price === 'string' ? price.trim() : undefined;
  if (text === undefined || !/^\d+(\.\d{1,2})?$/.test(text)) return undefined;
  const [whole, frac = ''] = text.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
}

export function fromCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** Escrow as balances: hire debits the hirer into escrow; completion releases to the agent; failure refunds. */
export class Ledger {
  private readonly customers = new Map<string, number>();
  private readonly agents = new Map<string, number>();
  private escrow = 0;

  constructor(private readonly startingCents: () => number) {}

  balanceOf(customerId: string): number {
    return this.customers.get(customerId) ?? this.startingCents();
  }

  hold(customerId: string, cents: number): void {
    this.customers.set(customerId, this.balanceOf(customerId) - cents);
    this.escrow += cents;
  }

  release(agentId: string, cents: number): void {
    this.escrow -= cents;
    this.agents.set(agentId, (this.agents.get(agentId) ?? 0) + cents);
  }

  refund(customerId: string, cents: number): void {
    this.escrow -= cents;
    this.customers.set(customerId, this.balanceOf(customerId) + cents);
  }

  view(
    knownCustomers: string[],
    knownAgents: string[],
  ): { customers: Record<string, string>; agents: Record<string, string>; escrow: string } {
    const customers: Record<string, string> = {};
    for (const id of new Set([...knownCustomers, ...this.customers.keys()])) {
      customers[id] = fromCents(this.balanceOf(id));
    }
    const agents: Record<string, string> = {};
    for (const id of new Set([...knownAgents, ...this.agents.keys()])) agents[id] = fromCents(this.agents.get(id) ?? 0);
    return { customers, agents, escrow: fromCents(this.escrow) };
  }
}
