// A host's identity enters a PromQL query only as an escaped string literal,
// and a promql probe needs the Prometheus it queries named in the cluster file.
import { describe, expect, it } from 'vitest';
import { parseClusterConfig } from '../../../src/config/load.js';
import { promqlString, queryFor } from '../../../src/metrics/promql.js';
import { PhasedError } from '../../../src/errors.js';

const minimal = { cluster: 'web', hosts: [{ name: 'web-1', root: '/srv/web' }] };
const probe = {
  type: 'promql',
  series: [{ series: 'req', query: 'sum(x{instance="{address}:9100"})' }],
};

describe('promql queries', () => {
  it('substitute the host as an escaped literal', () => {
    expect(
      queryFor('sum(x{host="{host}",instance="{address}:9100"})', {
        name: 'web-1',
        address: '10.0.0.1',
        root: '/',
      }),
    ).toBe('sum(x{host="web-1",instance="10.0.0.1:9100"})');
    // Names are validated anyway; were one to carry a quote, it could not end the literal.
    expect(promqlString('a"} or vector(1) or x{b="\\')).toBe('a\\"} or vector(1) or x{b=\\"\\\\');
  });

  it('need a metricsSource, whose token stays on the worker', () => {
    let thrown: unknown;
    try {
      parseClusterConfig({ ...minimal, probes: [probe] }, 'web.yaml');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PhasedError);
    expect((thrown as PhasedError).problem).toContain(
      'probes[0].type: a promql probe needs the Prometheus it queries: add metricsSource',
    );
    const c = parseClusterConfig({
      ...minimal,
      metricsSource: { type: 'prometheus', url: 'http://prom:9090', bearerTokenEnv: 'PROM_TOKEN' },
      probes: [probe],
    });
    expect(c.metricsSource).toEqual({
      type: 'prometheus',
      url: 'http://prom:9090',
      bearerTokenEnv: 'PROM_TOKEN',
    });
  });

  it('tell a query per host from a fleet query, and refuse one that names no host', () => {
    const source = { type: 'prometheus', url: 'http://prom:9090' };
    const problem = (series: object, metricsSource: object = source) => {
      try {
        parseClusterConfig({
          ...minimal,
          metricsSource,
          probes: [{ type: 'promql', series: [{ series: 'req', ...series }] }],
        });
      } catch (err) {
        return (err as PhasedError).problem;
      }
      return 'accepted';
    };
    expect(problem({ query: 'sum(x{instance="{address}:9100"})' })).toBe('accepted');
    expect(
      problem({
        query: 'sum by (instance) (x)',
        hostLabel: 'instance',
        hostLabelValue: '{address}:9100',
      }),
    ).toBe('accepted');
    expect(problem({ query: 'sum(x)' })).toContain(
      'probes[0].series[0].query: names no host, so every host would get the same value',
    );
    expect(problem({ query: 'sum by (host) (x{host="{host}"})', hostLabel: 'host' })).toContain(
      'is a fleet query (hostLabel host), run once for every host: leave {host} and {address} out of it',
    );
    expect(problem({ query: 'sum(x{host="{host}"})', hostLabelValue: '{host}' })).toContain(
      'probes[0].series[0].hostLabelValue: needs hostLabel',
    );
    expect(problem({ query: 'sum by (a) (x)', hostLabel: 'not a label' })).toContain(
      'must be a Prometheus label name',
    );
    // Headers: literal, or read on the worker; never a token twice.
    const q = { query: 'sum(x{host="{host}"})' };
    expect(
      problem(q, {
        ...source,
        headers: {
          'X-Scope-OrgID': 'team-a',
          'X-Key': { env: 'PROM_KEY' },
          'X-F': { file: '/etc/k' },
        },
      }),
    ).toBe('accepted');
    expect(
      problem(q, { ...source, bearerTokenEnv: 'T', headers: { Authorization: { env: 'A' } } }),
    ).toContain(
      'give the token as bearerTokenFile/bearerTokenEnv or as an authorization header, not both',
    );
    expect(problem(q, { ...source, headers: { 'X Bad': 'v' } })).toContain(
      '"X Bad" is not an HTTP header name',
    );
    expect(problem(q, { ...source, headers: { 'X-K': { env: 'lower' } } })).toContain(
      'must be an environment variable name',
    );
  });
});
