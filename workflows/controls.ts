// Operator controls as pure state changes: whether a command may apply now,
// and the control state after it. The deploy workflow validates updates and
// applies them through these; side effects (cancelling the run on abort,
// recording the action) stay in the workflow.
import {
  isFinal,
  type OperatorCommand,
  type OperatorRequest,
  type Phase,
} from '../src/core/vocabulary.js';

export interface ControlState {
  phase: Phase;
  paused: boolean;
  pausedReason: string | null;
  promoted: boolean;
  /** The deploy is unwinding (rolling back what it switched). */
  compensating: boolean;
  /** An abort was accepted. */
  aborting: boolean;
}

/** Phases a promote can cut short (a soak, the judging, the switch, the watch). */
const PROMOTABLE: readonly Phase[] = ['canary', 'judging', 'switching', 'watching'];

/** Why `command` cannot apply in state `s`, in words an operator can act on; undefined if it can. */
export function refusal(
  command: OperatorCommand,
  req: OperatorRequest,
  s: ControlState,
): string | undefined {
  if (!req.operator?.trim()) return `${command} needs the operator's name`;
  if (!req.reason?.trim()) return `${command} needs a reason`;
  if (isFinal(s.phase)) return `cannot ${command}: the deploy already ended (${s.phase})`;
  if (s.compensating) return `cannot ${command}: the deploy is rolling back`;
  if (command === 'pause' && s.paused) return 'cannot pause: the deploy is already paused';
  if (command === 'resume' && !s.paused) return 'cannot resume: the deploy is not paused';
  if (command === 'promote' && req.intent === 'skip' && s.paused)
    return `cannot promote --skip: the deploy is paused (${s.pausedReason ?? 'paused'}); promote --proceed answers the pause, resume continues where it was`;
  if (command === 'promote' && req.intent === 'proceed' && !s.paused)
    return `cannot promote --proceed: the deploy is not paused; promote --skip skips the rest of the ${s.phase === 'watching' ? 'watch' : 'soak'}`;
  if (command === 'promote' && !PROMOTABLE.includes(s.phase) && !s.paused)
    return `cannot promote during ${s.phase}: promote skips a soak or the watch, or answers an inconclusive verdict`;
  if (command === 'abort' && s.aborting) return 'cannot abort: an abort is already under way';
  return undefined;
}

/** What a promote that `refusal` allowed does, in words for the outcome and the history. */
export function promoteEffect(s: ControlState): string {
  if (s.paused) return `answered the pause (${s.pausedReason ?? 'paused'}): proceed`;
  if (s.phase === 'watching') return 'skipped the rest of the watch and its looks';
  if (s.phase === 'canary') return 'skipped the rest of the canary soak and its verdict';
  return `skipped the rest of the ${s.phase} hold`;
}

/** The control state after a command that `refusal` allowed. */
export function applyCommand(
  command: OperatorCommand,
  req: OperatorRequest,
  s: ControlState,
): ControlState {
  switch (command) {
    case 'pause':
      return { ...s, paused: true, pausedReason: `paused by ${req.operator}: ${req.reason}` };
    case 'resume':
      return { ...s, paused: false, pausedReason: null };
    case 'abort':
      return { ...s, paused: false, aborting: true };
    case 'promote':
      return { ...s, promoted: true, paused: false, pausedReason: null };
  }
}
