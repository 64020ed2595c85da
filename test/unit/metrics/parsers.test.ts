import { describe, expect, it } from 'vitest';
import { parseKeyValue, parseLoadavg, parseProcStat } from '../../../src/metrics/command.js';
import { parseInodeCount } from '../../../src/metrics/log-lines.js';
import { selectSeries } from '../../../src/metrics/prometheus.js';

describe('command output parsers', () => {
  it('reads /proc/loadavg', () => {
    expect(parseLoadavg('0.52 0.58 0.61 1/467 12345\n').values).toEqual({
      load1: 0.52,
      load5: 0.58,
      load15: 0.61,
    });
  });

  it('reads busy and total jiffies from /proc/stat (idle and iowait are not busy)', () => {
    const stat = 'cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 50 2 25 400 10 1 1 0 0 0\n';
    expect(parseProcStat(stat).values).toEqual({ cpu_busy: 160, cpu_total: 980 });
  });

  it('refuses /proc/stat without the aggregate cpu line', () => {
    expect(() => parseProcStat('intr 1 2 3\n')).toThrow('no aggregate "cpu " line');
  });

  it('reads "name value" lines, skipping comments and blanks', () => {
    expect(parseKeyValue('# my metrics\nqueue_depth 12\n\nworkers 4.5\n').values).toEqual({
      queue_depth: 12,
      workers: 4.5,
    });
    expect(() => parseKeyValue('queue_depth twelve')).toThrow('expected "name value"');
  });

  it('reads the log probe output as a count with the inode as epoch', () => {
    expect(parseInodeCount('log_errors', '1234 17\n')).toEqual({
      values: { log_errors: 17 },
      epochs: { log_errors: 1234 },
    });
    expect(() => parseInodeCount('log_errors', 'stat: cannot stat')).toThrow(
      'expected "inode count"',
    );
  });
});

describe('selectSeries (Prometheus text format)', () => {
  const text = [
    '# HELP http_requests_total Requests served.',
    '# TYPE http_requests_total counter',
    'http_requests_total{code="200",method="GET"} 1000',
    'http_requests_total{code="503",method="GET"} 7',
    'http_requests_total{code="500",method="POST"} 3',
    '# TYPE request_seconds histogram',
    'request_seconds_bucket{le="0.1"} 900',
    'request_seconds_bucket{le="+Inf"} 1010',
    'request_seconds_sum 42.5',
    'request_seconds_count 1010',
    '',
  ].join('\n');

  it('sums matching samples, with exact and /regex/ label matchers', () => {
    expect(
      selectSeries(text, [
        { series: 'requests', metric: 'http_requests_total' },
        { series: 'http_5xx', metric: 'http_requests_total', labels: { code: '/5../' } },
        {
          series: 'get_503',
          metric: 'http_requests_total',
          labels: { code: '503', method: 'GET' },
        },
        { series: 'latency_sum', metric: 'request_seconds_sum' },
        { series: 'latency_count', metric: 'request_seconds_count' },
      ]),
    ).toEqual({ requests: 1010, http_5xx: 10, get_503: 7, latency_sum: 42.5, latency_count: 1010 });
  });

  it('leaves out series the endpoint does not have', () => {
    expect(selectSeries(text, [{ series: 'x', metric: 'nope_total' }])).toEqual({});
  });
});
