// The clusters a worker holds: one file per cluster in the worker's own
// directory, read when a deploy starts (a changed file takes effect for the
// next deploy) and kept by digest, so a running deploy finishes with the
// version it started with. Callers name a cluster; they never send one.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { ClusterRef, Host } from '../core/vocabulary.js';
import { PhasedError } from '../errors.js';
import { rememberSecret } from '../secrets/redact.js';
import { parseClusterConfig } from './load.js';
import { loadForPlanning } from './look-schedule.js';
import type { ClusterConfig } from './schema.js';
import { isSafeSegment } from './validate-names.js';

export interface LoadedCluster {
  config: ClusterConfig;
  /** sha256 of the file's bytes, hex: `sha256sum <file>` prints the same. */
  digest: string;
  file: string;
}

const EXTENSIONS = ['.yaml', '.yml'];

/** The first characters of a digest, as `phased plan` and `phased status` show it. */
export const shortDigest = (digest: string) => `sha256:${digest.slice(0, 12)}`;

export const digestOfText = (text: string | Buffer) =>
  createHash('sha256').update(text).digest('hex');

export class ClusterStore {
  private readonly versions = new Map<string, LoadedCluster>();

  /**
   * @param dir the worker's cluster directory
   * @param keepDir where versions are kept by digest, so a restarted worker
   *   resumes a deploy with the version it started with
   */
  constructor(
    readonly dir: string,
    private readonly keepDir?: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** The cluster's file as it is now: what a deploy starting now runs with. */
  current(cluster: string): LoadedCluster {
    const file = this.fileOf(cluster);
    const text = readFileSync(file);
    const digest = digestOfText(text);
    const known = this.versions.get(key({ cluster, digest }));
    if (known) return this.withSecrets(known);
    // A deploy starting now plans with this file: its looks must be able to decide.
    const config = loadForPlanning(
      file,
      cluster,
      (other) => `name the file after its cluster (${other}.yaml)`,
    );
    const loaded = { config, digest, file };
    this.versions.set(key({ cluster, digest }), loaded);
    this.keep(loaded, text);
    return this.withSecrets(loaded);
  }

  /**
   * The version a running deploy started with. A worker that never saw it
   * (another machine's worker, after the file changed) runs the current file:
   * still this worker's own configuration, never a caller's.
   */
  resolve(ref: ClusterRef | undefined): LoadedCluster {
    if (!ref)
      throw new PhasedError({
        code: 'CALLER_CONFIG_REFUSED',
        problem:
          'this activity names no cluster configuration: it was scheduled by a workflow that did not load its cluster from the worker',
        fix: 'start deploys and rollbacks with phased deploy / phased rollback, which name a cluster the worker holds',
      });
    const hit = this.versions.get(key(ref)) ?? this.kept(ref);
    return hit ? this.withSecrets(hit) : this.current(ref.cluster);
  }

  /** The named hosts as this worker's configuration describes them; a name it does not list is refused. */
  hostsNamed(loaded: LoadedCluster, names: readonly string[]): Host[] {
    const byName = new Map(loaded.config.hosts.map((h) => [h.name, h]));
    return names.map((n) => {
      const h = byName.get(n);
      if (!h)
        throw new PhasedError({
          code: 'CALLER_CONFIG_REFUSED',
          problem: `cluster ${loaded.config.cluster} has no host ${n} in ${loaded.file}`,
          fix: 'a deploy acts only on the hosts its cluster file lists',
        });
      return { ...h };
    });
  }

  /** Cluster names this worker holds (for "did you mean" and errors). */
  clusters(): string[] {
    try {
      return readdirSync(this.dir)
        .filter((f) => EXTENSIONS.includes(path.extname(f)))
        .map((f) => f.slice(0, -path.extname(f).length))
        .filter(isSafeSegment)
        .sort();
    } catch {
      return [];
    }
  }

  private fileOf(cluster: string): string {
    const names = this.clusters();
    if (isSafeSegment(cluster))
      for (const ext of EXTENSIONS) {
        const file = path.join(this.dir, `${cluster}${ext}`);
        if (existsSync(file)) return file;
      }
    throw new PhasedError({
      code: 'CLUSTER_UNKNOWN',
      problem: `this worker holds no cluster ${JSON.stringify(cluster)} (no ${cluster}.yaml in ${this.dir}; it holds ${names.length ? names.join(', ') : 'none'})`,
      fix: `add the reviewed cluster file to the worker's cluster directory (${this.dir}) or name a cluster it holds`,
    });
  }

  /** Every secret the configuration names, read now, so hook output can be redacted of it. */
  private withSecrets(loaded: LoadedCluster): LoadedCluster {
    for (const ref of secretReferences(loaded.config)) {
      if ('env' in ref) rememberSecret(this.env[ref.env]);
      else
        try {
          rememberSecret(readFileSync(ref.file, 'utf8'));
        } catch {
          // A missing file fails the step that needs it, with its own message.
        }
    }
    return loaded;
  }

  private keep(loaded: LoadedCluster, text: Buffer) {
    if (!this.keepDir) return;
    try {
      mkdirSync(this.keepDir, { recursive: true, mode: 0o700 });
      const file = path.join(this.keepDir, `${loaded.config.cluster}@${loaded.digest}.yaml`);
      if (!existsSync(file)) writeFileSync(file, text, { mode: 0o600 });
    } catch {
      // Keeping versions is a convenience for restarts; the deploy does not need it.
    }
  }

  private kept(ref: ClusterRef): LoadedCluster | undefined {
    if (!this.keepDir || !/^[0-9a-f]{64}$/.test(ref.digest) || !isSafeSegment(ref.cluster))
      return undefined;
    const file = path.join(this.keepDir, `${ref.cluster}@${ref.digest}.yaml`);
    try {
      const text = readFileSync(file);
      if (digestOfText(text) !== ref.digest) return undefined;
      const loaded = {
        config: parseClusterConfig(parse(text.toString('utf8')), file),
        ...ref,
        file,
      };
      this.versions.set(key(ref), loaded);
      return loaded;
    } catch {
      return undefined;
    }
  }
}

const key = (ref: ClusterRef) => `${ref.cluster}@${ref.digest}`;

/** Where a configuration's secrets are: environment variables and files on the worker. */
export function secretReferences(config: ClusterConfig): ({ env: string } | { file: string })[] {
  const out: ({ env: string } | { file: string })[] = [];
  const m = config.metricsSource;
  if (m?.bearerTokenEnv) out.push({ env: m.bearerTokenEnv });
  if (m?.bearerTokenFile) out.push({ file: m.bearerTokenFile });
  for (const v of Object.values(m?.headers ?? {})) if (typeof v !== 'string') out.push(v);
  for (const n of config.notify) if (n.urlEnv) out.push({ env: n.urlEnv });
  return out;
}
