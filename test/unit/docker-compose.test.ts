// docker-compose.yml cannot be started here (no Docker engine), so it is
// loaded as `docker compose config` loads it (compose-go: interpolation, the
// Compose Specification's schema, normalisation) and then checked for its
// wiring: services, ports, secrets and versions must agree with what phased
// is tested with.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/paths.js';
import { testDir } from '../helpers/tmp.js';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: unknown;
}

const read = (file: string) => readFileSync(path.join(projectRoot, file), 'utf8');
const document = parse(read('docker-compose.yml'), { merge: true }) as Record<string, unknown>;
const compose = document as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;
const service = (name: string): Service => {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};
const tagOf = (name: string) => service(name).image!.split(':')[1];

/** The container port a service publishes, from its "[ip:]host:container" mappings. */
const containerPorts = (s: Service) => (s.ports ?? []).map((p) => Number(p.split(':').at(-1)));

/** Server and UI versions of the pinned Temporal CLI (scripts/temporal-pins.env). */
const pins = (() => {
  const m = /Server (\d+\.\d+\.\d+), UI (\d+\.\d+\.\d+)/.exec(read('scripts/temporal-pins.env'));
  if (!m) throw new Error('scripts/temporal-pins.env names no Server and UI versions');
  return { server: m[1]!, ui: m[2]! };
})();

/** The Compose loader setup.sh builds (test/compose-config: compose-go, as `docker compose config`). */
const composeConfig = path.join(projectRoot, '.phased', 'compose-config');

/** `docker compose config` on a copy of the file (no .env beside it), with `env`. */
async function composeConfigOf(env: Record<string, string>) {
  const dir = await testDir();
  copyFileSync(path.join(projectRoot, 'docker-compose.yml'), path.join(dir, 'docker-compose.yml'));
  try {
    const out = execFileSync(composeConfig, [path.join(dir, 'docker-compose.yml')], {
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { code: 0, model: JSON.parse(out) as { services: Record<string, Service> } };
  } catch (err) {
    const e = err as { status: number; stderr: string };
    return { code: e.status, stderr: e.stderr };
  }
}

describe('docker-compose.yml', () => {
  it('loads as `docker compose config` loads it, and only with the database password set', async () => {
    const loaded = await composeConfigOf({ POSTGRES_PASSWORD: 'from-the-env-file' });
    expect(loaded.code, loaded.stderr).toBe(0);
    const resolved = loaded.model!.services;
    expect(Object.keys(resolved).sort()).toEqual(Object.keys(services).sort());
    expect(resolved.temporal!.environment!.POSTGRES_PWD).toBe('from-the-env-file');
    expect(resolved['temporal-schema']!.environment!.SQL_PASSWORD).toBe('from-the-env-file');
    expect(resolved.postgresql!.environment!.POSTGRES_PASSWORD).toBe('from-the-env-file');
    const missing = await composeConfigOf({});
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      'required variable POSTGRES_PASSWORD is missing a value: set POSTGRES_PASSWORD in .env (copy .env.example)',
    );
  });

  it('runs the Temporal images phased is tested with, not the deprecated auto-setup', () => {
    for (const s of Object.values(services)) expect(s.image ?? '').not.toContain('auto-setup');
    expect(service('temporal').image).toBe(`temporalio/server:${pins.server}`);
    expect(tagOf('temporal-schema')).toBe(pins.server);
    expect(tagOf('temporal-namespace')).toBe(pins.server);
    expect(service('temporal-ui').image).toBe(`temporalio/ui:${pins.ui}`);
    expect(read('Dockerfile')).toMatch(/^FROM node:22-/m);
    expect(read('Dockerfile')).not.toMatch(/^FROM node:20/m);
  });

  it('only depends on services it defines, waiting on health checks that exist', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(services, `${name} depends on ${dep}`).toHaveProperty(dep);
        if (condition === 'service_healthy') expect(service(dep).healthcheck).toBeDefined();
      }
    }
    // The server starts on a schema that is there; the worker on a namespace that is.
    expect(service('temporal').depends_on).toHaveProperty('temporal-schema');
    expect(service('phased-worker').depends_on).toHaveProperty('temporal-namespace');
  });

  it('keeps the database password out of the file: every service reads it from .env', () => {
    const secretKeys = /PASSWORD|PWD/;
    let seen = 0;
    for (const [name, s] of Object.entries(services))
      for (const [key, value] of Object.entries(s.environment ?? {}))
        if (secretKeys.test(key)) {
          seen++;
          expect(String(value), `${name} ${key}`).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
        }
    expect(seen).toBe(3); // PostgreSQL's own, the schema job's, the server's
    expect(read('.gitignore').split('\n')).toContain('.env');
    expect(read('.env.example')).toMatch(/^POSTGRES_PASSWORD=$/m);
    const temporal = service('temporal').environment!;
    expect(temporal.POSTGRES_SEEDS).toBe('postgresql');
    expect(temporal.POSTGRES_USER).toBe(service('postgresql').environment!.POSTGRES_USER);
  });

  it('publishes nothing beyond loopback, and each host port once', () => {
    const published = Object.values(services).flatMap((s) => s.ports ?? []);
    expect(published.length).toBeGreaterThan(0);
    for (const p of published) expect(p, p).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    const hostPorts = published.map((p) => p.split(':')[1]);
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });

  it('points the UI, the jobs and the worker at the Temporal frontend port', () => {
    const frontendPort = 7233;
    expect(containerPorts(service('temporal'))).toContain(frontendPort);
    for (const name of ['temporal-ui', 'temporal-namespace', 'phased-worker']) {
      const [host, port] = String(service(name).environment!.TEMPORAL_ADDRESS).split(':');
      expect(services, `${name} TEMPORAL_ADDRESS host`).toHaveProperty(host!);
      expect(Number(port)).toBe(frontendPort);
    }
  });

  it('gives the worker its cluster files, SSH key and a builds directory, read-only, and its state a volume', () => {
    const worker = service('phased-worker');
    const mounts = new Map(
      (worker.volumes ?? []).map((v) => {
        const [source, target, mode] = v.split(':');
        return [target!, { source: source!, mode }];
      }),
    );
    const env = worker.environment!;
    expect(mounts.get(String(env.PHASED_CONFIG_DIR))).toEqual({
      source: './deploy/clusters',
      mode: 'ro',
    });
    expect(mounts.get('/srv/phased/builds')).toEqual({ source: './builds', mode: 'ro' });
    expect(mounts.get('/etc/phased/ssh')?.mode).toBe('ro');
    expect(compose.volumes).toHaveProperty(mounts.get(String(env.PHASED_HOME))!.source);
    for (const s of Object.values(services))
      for (const volume of s.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.'))
          expect(existsSync(path.join(projectRoot, source)), source).toBe(true);
        else expect(compose.volumes).toHaveProperty(source);
      }
  });

  it('builds the worker from this repository, running the compiled phased CLI', () => {
    const worker = service('phased-worker');
    const dockerfile = path.join(projectRoot, worker.build!.context, worker.build!.dockerfile);
    expect(existsSync(dockerfile)).toBe(true);
    const text = readFileSync(dockerfile, 'utf8');
    expect(text).toContain('ENTRYPOINT ["node", "dist/src/app/cli/main.js"]');
    expect(worker.command).toEqual(['worker']);
    // The Dockerfile copies what the build compiles, and the build emits dist/src/app/cli/main.js.
    const build = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
    for (const dir of build.include) expect(text).toContain(`COPY ${dir} ${dir}`);
    const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string> };
    expect(pkg.bin.phased).toBe('dist/src/app/cli/main.js');
  });
});
