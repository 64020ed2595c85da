// A fleet of real sshd hosts, each in its own network namespace, on a bridge
// whose address is the worker's: uplinks are real and can be shaped with tc,
// and a host can be cut off from another while the worker still reaches both.
// Needs root and iproute2; everything it creates is deleted by stop().
//
//   worker (root namespace) -- bridge phb<id>, 10.254.<net>.1/24, egress = worker uplink
//     +-- veth phv<id>h<i> (egress = host i's downlink) <-> eth0 in netns (egress = its uplink)
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startSshdFleet, type SshdFleet } from '../../src/app/demo/sshd-fleet.js';

export interface NetnsFleetOptions {
  /** Each host's uplink and downlink, as tc says rates (e.g. "100mbit"); unshaped when unset. */
  hostRate?: string;
  /** The worker's uplink to every host together. */
  workerRate?: string;
}

export interface NetnsFleet extends SshdFleet {
  /** Host `from` can no longer reach host `to` (a blackhole route in from's namespace). */
  cut(from: number, to: number): void;
  /** Bytes the worker has sent to the hosts since the fleet started (the bridge's tx counter). */
  workerBytesSent(): number;
}

/** Whether this process can make namespaces (root with iproute2). */
export function netnsAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    execFileSync('tc', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const run = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { stdio: 'pipe' });
const inNs = (ns: string, argv: string[]) => run(['ip', 'netns', 'exec', ns, ...argv]);

/** A token bucket at `rate`, with a burst of about 2 ms of it (at least 32 KiB) and 50 ms of queue. */
function shape(dev: string, rate: string, ns?: string) {
  const argv = ['tc', 'qdisc', 'add', 'dev', dev, 'root', 'tbf', 'rate', rate];
  argv.push('burst', '64kb', 'latency', '50ms');
  if (ns) inNs(ns, argv);
  else run(argv);
}

export async function startNetnsFleet(
  n: number,
  options: NetnsFleetOptions = {},
): Promise<NetnsFleet> {
  if (n > 250) throw new RangeError('at most 250 hosts on one /24');
  const id = randomBytes(2).toString('hex');
  const net = `10.254.${randomBytes(1)[0]! % 250}`;
  const bridge = `phb${id}`;
  const namespaces: string[] = [];
  const veths: string[] = [];
  const teardown = () => {
    for (const ns of namespaces)
      try {
        run(['ip', 'netns', 'del', ns]);
      } catch {
        // already gone
      }
    for (const v of veths)
      try {
        run(['ip', 'link', 'del', v]);
      } catch {
        // deleting the namespace took its pair with it
      }
    try {
      run(['ip', 'link', 'del', bridge]);
    } catch {
      // never made
    }
  };
  let fleet: SshdFleet;
  try {
    run(['ip', 'link', 'add', bridge, 'type', 'bridge']);
    run(['ip', 'addr', 'add', `${net}.1/24`, 'dev', bridge]);
    run(['ip', 'link', 'set', bridge, 'up']);
    if (options.workerRate) shape(bridge, options.workerRate);
    for (let i = 0; i < n; i++) {
      const ns = `phased-${id}-${i + 1}`;
      const veth = `phv${id}h${i + 1}`;
      run(['ip', 'netns', 'add', ns]);
      namespaces.push(ns);
      run(['ip', 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      veths.push(veth);
      run(['ip', 'link', 'set', veth, 'master', bridge]);
      run(['ip', 'link', 'set', veth, 'up']);
      inNs(ns, ['ip', 'addr', 'add', `${net}.${i + 2}/24`, 'dev', 'eth0']);
      inNs(ns, ['ip', 'link', 'set', 'eth0', 'up']);
      inNs(ns, ['ip', 'link', 'set', 'lo', 'up']);
      if (options.hostRate) {
        shape('eth0', options.hostRate, ns);
        shape(veth, options.hostRate);
      }
    }
    fleet = await startSshdFleet(n, 10, {
      placement: (i) => ({
        address: `${net}.${i + 2}`,
        port: 22,
        wrap: ['ip', 'netns', 'exec', namespaces[i]!],
      }),
    });
  } catch (err) {
    teardown();
    throw err;
  }
  const txBytes = () =>
    Number(readFileSync(`/sys/class/net/${bridge}/statistics/tx_bytes`, 'utf8'));
  const start = txBytes();
  return {
    ...fleet,
    cut(from, to) {
      inNs(namespaces[from]!, ['ip', 'route', 'add', 'blackhole', `${net}.${to + 2}/32`]);
    },
    workerBytesSent: () => txBytes() - start,
    async stopAll() {
      try {
        await fleet.stopAll();
      } finally {
        teardown();
      }
    },
  };
}
