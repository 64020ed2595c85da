// docker-compose.yml cannot be started here (no Docker engine), so its wiring
// is checked statically: services, ports and environment must agree.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/paths.js';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: unknown;
}

const compose = parse(readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;
const service = (name: string): Service => {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};

/** The container port a service publishes, from its "host:container" mappings. */
const containerPorts = (s: Service) => (s.ports ?? []).map((p) => Number(p.split(':').at(-1)));

describe('docker-compose.yml', () => {
  it('has the production stack: PostgreSQL, Temporal, its UI and a phased worker', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['phased-worker', 'postgresql', 'temporal', 'temporal-ui'].sort(),
    );
  });

  it('only depends on services it defines, waiting on health checks that exist', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(services, `${name} depends on ${dep}`).toHaveProperty(dep);
        if (condition === 'service_healthy') expect(service(dep).healthcheck).toBeDefined();
      }
    }
  });

  it('points Temporal at the PostgreSQL service with matching credentials', () => {
    const pg = service('postgresql').environment!;
    const temporal = service('temporal').environment!;
    expect(temporal.POSTGRES_SEEDS).toBe('postgresql');
    expect(temporal.POSTGRES_USER).toBe(pg.POSTGRES_USER);
    expect(temporal.POSTGRES_PWD).toBe(pg.POSTGRES_PASSWORD);
    expect(String(temporal.DB)).toMatch(/^postgres/);
  });

  it('points the UI and the worker at the Temporal frontend port', () => {
    const frontendPort = 7233;
    expect(containerPorts(service('temporal'))).toContain(frontendPort);
    for (const name of ['temporal-ui', 'phased-worker']) {
      const [host, port] = String(service(name).environment!.TEMPORAL_ADDRESS).split(':');
      expect(services, `${name} TEMPORAL_ADDRESS host`).toHaveProperty(host!);
      expect(Number(port)).toBe(frontendPort);
    }
    expect(service('temporal-ui').environment!.TEMPORAL_CORS_ORIGINS).toBe(
      `http://localhost:${containerPorts(service('temporal-ui'))[0]}`,
    );
  });

  it('publishes each host port once', () => {
    const hostPorts = Object.values(services).flatMap((s) =>
      (s.ports ?? []).map((p) => p.split(':').at(-2)),
    );
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });

  it('declares every named volume it mounts', () => {
    for (const s of Object.values(services)) {
      for (const volume of s.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (!source.startsWith('.') && !source.startsWith('/'))
          expect(compose.volumes).toHaveProperty(source);
      }
    }
  });

  it('builds the worker from this repository, running the compiled phased CLI', () => {
    const worker = service('phased-worker');
    const dockerfile = path.join(projectRoot, worker.build!.context, worker.build!.dockerfile);
    expect(existsSync(dockerfile)).toBe(true);
    const text = readFileSync(dockerfile, 'utf8');
    expect(text).toContain('ENTRYPOINT ["node", "dist/src/cli.js"]');
    expect(worker.command).toEqual(['worker']);
    // The Dockerfile copies what the build compiles, and the build emits dist/src/cli.js.
    const build = JSON.parse(
      readFileSync(path.join(projectRoot, 'tsconfig.build.json'), 'utf8'),
    ) as { include: string[] };
    for (const dir of build.include) expect(text).toContain(`COPY ${dir} ${dir}`);
    const pkg = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(pkg.bin.phased).toBe('dist/src/cli.js');
  });
});
