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
});
