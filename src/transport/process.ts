// A program still running on a host, whose stdin phased can write to. The
// armed flip uses it: every host prepares its switch and waits on stdin, and
// one write per host then switches them all within milliseconds.
import type { ExecResult } from './types.js';

export interface RemoteProcess {
  /** Resolves once the program has printed `line`; rejects if it ends first or the deadline passes. */
  waitForLine(line: string, timeoutMs: number): Promise<void>;
  write(data: string): void;
  /** Closes stdin: a program waiting on it reads end-of-file. */
  end(): void;
  /** How the program ended (stdout and stderr in full). */
  done: Promise<ExecResult>;
}

/** Builds a RemoteProcess from a transport's stream: feed it output and the exit. */
export class ProcessChannel implements RemoteProcess {
  private stdout = '';
  private stderr = '';
  private waiters: { line: string; resolve: () => void }[] = [];
  private finish!: (r: ExecResult) => void;
  readonly done = new Promise<ExecResult>((resolve) => (this.finish = resolve));
  private ended: ExecResult | undefined;

  constructor(
    private readonly writeFn: (data: string) => void,
    private readonly endFn: () => void,
  ) {}

  onStdout(chunk: string) {
    this.stdout += chunk;
    const lines = this.stdout.split('\n');
    this.waiters = this.waiters.filter((w) => {
      if (!lines.includes(w.line)) return true;
      w.resolve();
      return false;
    });
  }

  onStderr(chunk: string) {
    this.stderr += chunk;
  }

  onExit(code: number | null) {
    this.ended = { stdout: this.stdout, stderr: this.stderr, code };
    this.finish(this.ended);
  }

  waitForLine(line: string, timeoutMs: number): Promise<void> {
    if (this.stdout.split('\n').includes(line)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "${line}" after ${timeoutMs} ms`)),
        timeoutMs,
      );
      const settle = () => clearTimeout(timer);
      this.waiters.push({
        line,
        resolve: () => {
          settle();
          resolve();
        },
      });
      void this.done.then((r) => {
        settle();
        reject(Object.assign(new Error(`ended before "${line}"`), { result: r }));
      });
    });
  }

  write(data: string) {
    if (!this.ended) this.writeFn(data);
  }

  end() {
    if (!this.ended) this.endFn();
  }
}
