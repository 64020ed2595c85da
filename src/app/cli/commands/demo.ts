// phased demo: a fleet on this machine under traffic, a good build and a bad one.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { createPhasedClient } from '../../client.js';
import { demoReport } from '../../demo/report.js';
import {
  DEMO_BAD_ERROR_RATE,
  DEMO_RATE,
  DemoInterrupted,
  PHASED_DURATIONS,
  runDemo,
  type DemoResult,
} from '../../demo/run.js';
import { startOrConnect, type TemporalServer } from '../../devserver.js';
import { stateDir } from '../../../paths.js';
import { writeReport } from '../../report/index.js';
import { describeServer } from '../common.js';

async function demoCanaryReports(server: TemporalServer, result: DemoResult): Promise<string> {
  const dir = path.join(stateDir(), 'reports');
  mkdirSync(dir, { recursive: true });
  const pc = await createPhasedClient(server);
  try {
    const lines = [
      '\ncanary reports (open in a browser; phased report <workflow id> rebuilds any):',
    ];
    for (const [name, d] of Object.entries({
      good: result.good,
      bad: result.bad,
      crash: result.crash,
    })) {
      const { file } = await writeReport(pc, d.workflowId, path.join(dir, `${d.workflowId}.html`));
      lines.push(`  ${name}: ${file}`);
    }
    return lines.join('\n');
  } finally {
    await pc.close();
  }
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'Run a fleet on this machine under traffic and deploy a good build (goes live) and a bad one (rolled back on its own).',
    )
    .addOption(new Option('--hosts <n>', 'hosts in the fleet').default(8).argParser(Number))
    .addOption(
      new Option('--rate <n>', 'requests per second to each host')
        .default(DEMO_RATE)
        .argParser(Number),
    )
    .addOption(
      new Option('--transport <kind>', 'how phased reaches the hosts')
        .choices(['auto', 'ssh', 'local'])
        .default('auto'),
    )
    .addOption(
      new Option('--bad-error-rate <fraction>', 'extra share of requests the bad build fails')
        .default(DEMO_BAD_ERROR_RATE)
        .argParser(Number),
    )
    .addOption(
      new Option('--bad-latency-ms <ms>', 'time each request takes on the bad build').argParser(
        Number,
      ),
    )
    .addOption(
      new Option(
        '--bad-tail-ms <ms>',
        'a tail-only bad build instead: every 10th request takes this much longer, errors unchanged (judged on p95 latency)',
      ).argParser(Number),
    )
    .addOption(
      new Option(
        '--metrics <source>',
        "where the judge's series come from: a Prometheus the demo runs (auto: when installed), or each host read directly",
      )
        .choices(['auto', 'prometheus', 'probes'])
        .default('auto'),
    )
    .option(
      '--default-durations',
      "phased's default durations (3 min baseline, 60 s soak, 5 min watch) instead of the demo's 15 s ones",
    )
    .option('--keep-open', 'after the report, keep Temporal and its UI up until Ctrl-C')
    .action(
      async (opts: {
        hosts: number;
        rate: number;
        transport: 'auto' | 'ssh' | 'local';
        metrics: 'auto' | 'prometheus' | 'probes';
        defaultDurations?: boolean;
        badErrorRate: number;
        badLatencyMs?: number;
        badTailMs?: number;
        keepOpen?: boolean;
      }) => {
        const started = Date.now();
        const interrupt = new AbortController();
        const stop = () => interrupt.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        const server = await startOrConnect();
        try {
          console.log(`phased demo: ${describeServer(server)}`);
          const result = await runDemo({
            server,
            hosts: opts.hosts,
            rate: opts.rate,
            transport: opts.transport,
            metrics: opts.metrics,
            ...(opts.defaultDurations ? { durations: PHASED_DURATIONS } : {}),
            badErrorRate: opts.badErrorRate,
            badLatencyMs: opts.badLatencyMs,
            badTailMs: opts.badTailMs,
            signal: interrupt.signal,
          });
          console.log(demoReport(result, server.uiUrl, server.namespace));
          console.log(await demoCanaryReports(server, result));
          console.log(`\nphased demo: done in ${Math.round((Date.now() - started) / 1000)} s`);
          if (opts.keepOpen && !interrupt.signal.aborted) {
            console.log('phased demo: Temporal and its UI stay up; Ctrl-C stops them');
            await new Promise((resolve) => interrupt.signal.addEventListener('abort', resolve));
          }
        } catch (err) {
          if (!(err instanceof DemoInterrupted)) throw err;
          console.log(`phased demo: ${err.message}`);
          process.exitCode = 130;
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          await server.stop();
        }
      },
    );
}
