// Where every host of a deploy stands, and what the compensation needs to
// undo: the state each step's batch results move hosts into.
import type { BatchResult, HostFailure } from '../src/core/vocabulary.js';
import type { Host, HostState } from '../src/core/vocabulary.js';

export class FleetState {
  readonly state = new Map<string, HostState>();
  /** The release each host ran before this deploy: where a rollback returns. */
  readonly previous = new Map<string, string | null>();
  /** For adopted hosts (a hand-made current): the link a rollback restores. */
  readonly adoptedLinks = new Map<string, string>();
  /** Compensation stack: hosts switched to the new release, in order. */
  readonly switched: Host[] = [];
  readonly rolledBack: string[] = [];
  /** Hosts switched back whose afterRollback hook or health check then failed, with why. */
  readonly unhealthyAfterRollback: string[] = [];
  /** Hosts that broke during the deploy (found at the final check), with why. */
  readonly broken: string[] = [];

  constructor(readonly hosts: readonly Host[]) {
    for (const h of hosts) this.state.set(h.name, 'pending');
  }

  /** Hosts the deploy still works on: all but those that could not be staged. */
  targets(): Host[] {
    return this.hosts.filter((h) => this.state.get(h.name) !== 'unavailable');
  }

  hostsIn(state: HostState): string[] {
    return [...this.state].filter(([, s]) => s === state).map(([h]) => h);
  }

  /** Staging results: staged hosts remember where a rollback returns; the rest are unavailable. */
  staged(r: BatchResult<{ previous: string | null; adoptedLink?: string | null }>): HostFailure[] {
    for (const { host, result } of r.ok) {
      this.state.set(host, 'staged');
      this.previous.set(host, result.previous);
      if (result.adoptedLink) this.adoptedLinks.set(host, result.adoptedLink);
    }
    for (const f of r.failed) this.state.set(f.host, 'unavailable');
    return r.failed;
  }

  /**
   * One batch's switch: every host goes on the compensation stack, a failed
   * one too (it may or may not have switched: unwinding it is safe either way).
   */
  switchedBatch(hosts: readonly Host[], r: BatchResult<unknown>): HostFailure[] {
    const byName = new Map(hosts.map((h) => [h.name, h]));
    for (const { host } of r.ok) {
      this.state.set(host, 'switched');
      this.switched.push(byName.get(host)!);
    }
    for (const f of r.failed) {
      this.state.set(f.host, 'switch_failed');
      this.switched.push(byName.get(f.host)!);
    }
    return r.failed;
  }

  rolledBackBatch(r: BatchResult<unknown>) {
    for (const { host, result } of r.ok) {
      this.state.set(host, 'rolled_back');
      this.rolledBack.push(host);
      const unhealthy = (result as { unhealthy?: unknown } | null | undefined)?.unhealthy;
      if (typeof unhealthy === 'string') this.unhealthyAfterRollback.push(unhealthy);
    }
    for (const f of r.failed) this.state.set(f.host, 'rollback_failed');
  }
}
