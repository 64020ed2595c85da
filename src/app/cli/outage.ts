// Following a deploy through a Temporal outage: the CLI keeps waiting and
// says so on stderr, instead of dying with an SDK stack. The deploy itself
// is durable and resumes when the server does; its follower should too.
import { isGrpcServiceError, ServiceError } from '@temporalio/client';

// gRPC status codes: the server is down or did not answer in time.
const TRANSIENT: readonly number[] = [14 /* UNAVAILABLE */, 4 /* DEADLINE_EXCEEDED */];

/** True for errors that mean "the server cannot be reached right now". */
export function isUnreachable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (isGrpcServiceError(e) && TRANSIENT.includes(Number(e.code))) return true;
    if (e instanceof ServiceError && /UNAVAILABLE|DEADLINE_EXCEEDED/.test(e.message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Tracks one outage and writes a note at most every `everyMs`. */
export class OutageNotes {
  private since: number | null = null;
  private lastNote = -Infinity;

  constructor(
    private readonly what: string,
    private readonly write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
    private readonly everyMs = 10_000,
  ) {}

  /** The server did not answer. */
  down(now = Date.now()) {
    this.since ??= now;
    if (now - this.lastNote < this.everyMs) return;
    this.lastNote = now;
    const secs = Math.round((now - this.since) / 1000);
    this.write(`phased: Temporal unreachable for ${secs} s, still following ${this.what} ...`);
  }

  /** The server answered again. */
  up(now = Date.now()) {
    if (this.since === null) return;
    const secs = Math.round((now - this.since) / 1000);
    this.write(`phased: Temporal is back after ${secs} s; following ${this.what}`);
    this.since = null;
    this.lastNote = -Infinity;
  }
}
