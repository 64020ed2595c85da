// A reading's command probes reach a host in one round trip: one command that
// runs them side by side and frames each one's output and exit status. Every
// probe gets what it would have got alone, a failing command fails only its
// own probe, and argv values stay data.
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Host } from '../../../src/core/vocabulary.js';
import { combinedArgv, splitCombined } from '../../../src/metrics/batched-exec.js';
import {
  commandProbe,
  cpuProbe,
  loadavgProbe,
  parseKeyValue,
} from '../../../src/metrics/command.js';
import { logCountsProbe } from '../../../src/metrics/log-lines.js';
import { sampleHost } from '../../../src/metrics/sample.js';
import { LocalTransport } from '../../../src/transport/local.js';
import type { HostTransport } from '../../../src/transport/types.js';
import { testDir } from '../../helpers/tmp.js';

/** The local transport, counting the commands it runs. */
class Counting extends LocalTransport {
  readonly runs: (readonly string[])[] = [];
  override exec(...args: Parameters<HostTransport['exec']>) {
    this.runs.push(args[1]);
    return super.exec(...args);
  }
}

describe('one round trip per reading', () => {
  it("runs every command probe of a host's reading in one command, each with its own result", async () => {
    const root = await testDir();
    const host: Host = { name: 'web-1', address: '127.0.0.1', root };
    writeFileSync(path.join(root, 'access.log'), 'GET / 200\nGET / 503\n');
    const transport = new Counting();
    const { snapshot, errors } = await sampleHost({
      host,
      transport,
      probes: [
        loadavgProbe(),
        cpuProbe(),
        logCountsProbe({
          path: path.join(root, 'access.log'),
          counts: [
            { series: 'requests', pattern: '^' },
            { series: 'errors', pattern: ' 5[0-9]{2}$' },
          ],
        }),
        commandProbe({
          name: 'app',
          argv: [
            'sh',
            '-c',
            'printf "queue_depth 7\\nodd %s 1\\n" "$1" >&2; echo queue_depth 7',
            'x',
            '$(touch pwned)',
          ],
          series: ['queue_depth'],
          parse: parseKeyValue,
        }),
        commandProbe({
          name: 'broken',
          argv: ['sh', '-c', 'echo "no such counter" >&2; exit 3'],
          series: ['broken'],
          parse: parseKeyValue,
        }),
      ],
      series: ['load1', 'cpu_busy', 'cpu_total', 'requests', 'errors', 'queue_depth', 'broken'],
    });
    expect(transport.runs).toHaveLength(1);
    expect(transport.runs[0]!.slice(0, 2)).toEqual(['sh', '-c']);
    const [load1, busy, total, requests, errorsSeen, depth, broken] = snapshot.v;
    expect(load1).toBeGreaterThanOrEqual(0);
    expect(busy!).toBeLessThan(total!);
    expect([requests, errorsSeen, depth, broken]).toEqual([2, 1, 7, null]);
    expect(errors).toEqual(['probe broken on web-1: sh exited 3: no such counter']);
    expect(readdirSync(root)).toEqual(['access.log']);
    expect(readdirSync(process.cwd())).not.toContain('pwned');
  });

  it('frames outputs that look like its own markers, or end without a newline, exactly', async () => {
    const commands = [
      ['printf', '%s', 'no newline'],
      ['printf', '\n%s 0 err\nx\n', 'phased-fake'],
      ['sh', '-c', 'printf "to stderr" >&2; exit 2'],
      ['printf', ''],
    ];
    const nonce = 'phased-0123456789abcdef';
    const r = await new LocalTransport().exec(
      { name: 'web-1', address: '127.0.0.1', root: '/' },
      combinedArgv(nonce, commands),
    );
    expect(r.code).toBe(0);
    expect(splitCombined(nonce, commands.length, r.stdout)).toEqual([
      { stdout: 'no newline', stderr: '', code: 0 },
      { stdout: '\nphased-fake 0 err\nx\n', stderr: '', code: 0 },
      { stdout: '', stderr: 'to stderr', code: 2 },
      { stdout: '', stderr: '', code: 0 },
    ]);
    // Cut short: not a result to trust.
    expect(splitCombined(nonce, commands.length, r.stdout.slice(0, -10))).toBeNull();
  });
});
