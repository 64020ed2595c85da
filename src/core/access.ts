// Who may do what to a cluster: the cluster file's access list, read by the
// worker's activities (deploys, rollbacks) and by the deploy's update
// validators (operator commands). Pure, so workflow code can use it.
import type { AccessAction } from './vocabulary.js';

export type AccessList = Partial<Record<AccessAction, string[]>>;

/**
 * Why `identity` may not do `action` on `cluster`; undefined when it may.
 * Reading which release each host runs ('inspect', for `phased status`)
 * changes nothing and needs no grant.
 */
export function accessRefusal(
  cluster: string,
  access: AccessList | undefined,
  action: AccessAction | 'inspect',
  identity: string,
): string | undefined {
  if (access === undefined || action === 'inspect') return undefined;
  const allowed = access[action];
  if (allowed?.includes('*') || allowed?.includes(identity)) return undefined;
  return allowed === undefined || allowed.length === 0
    ? `${identity} may not ${action} cluster ${cluster}: its access list grants ${action} to nobody`
    : `${identity} may not ${action} cluster ${cluster}: access.${action} lists ${allowed.join(', ')}`;
}

/** The fix that goes with a refusal. */
export const accessFix = (action: AccessAction) =>
  `ask whoever reviews the cluster file to add your identity to access.${action}, or ask someone it lists`;
