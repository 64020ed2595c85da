// Samples of the Prometheus text exposition format, one per line:
//   name{label="value",...} value [timestamp]
// Read by hand: the npm parser phased used before (parse-prometheus-text-format)
// merges the label sets of a histogram into one and drops their labels, sum
// and count, so per-route buckets and label-filtered _sum/_count came out
// wrong. The sample grammar is small; comments (HELP, TYPE) carry nothing a
// probe needs.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export class ExpositionError extends Error {
  constructor(line: number, why: string) {
    super(`line ${line}: ${why}`);
    this.name = 'ExpositionError';
  }
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  return text.trim() === '' ? NaN : Number(text);
}

/** Parses every sample line; throws ExpositionError naming the first bad line. */
export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const lineNo = index + 1;
    const name = NAME.exec(line)?.[0];
    if (!name) throw new ExpositionError(lineNo, `no metric name in "${line.slice(0, 60)}"`);
    let rest = line.slice(name.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      rest = rest.slice(1).trimStart();
      while (!rest.startsWith('}')) {
        const label = LABEL.exec(rest)?.[0];
        if (!label || !rest.slice(label.length).trimStart().startsWith('="'))
          throw new ExpositionError(lineNo, `bad label in "${line.slice(0, 60)}"`);
        rest = rest.slice(label.length).trimStart().slice(2);
        let value = '';
        for (;;) {
          const c = rest[0];
          if (c === undefined) throw new ExpositionError(lineNo, 'unterminated label value');
          rest = rest.slice(1);
          if (c === '"') break;
          if (c === '\\') {
            const e = rest[0];
            rest = rest.slice(1);
            value += e === 'n' ? '\n' : (e ?? '');
          } else value += c;
        }
        labels[label] = value;
        rest = rest.trimStart();
        if (rest.startsWith(',')) rest = rest.slice(1).trimStart();
        else if (!rest.startsWith('}'))
          throw new ExpositionError(lineNo, `expected , or } in "${line.slice(0, 60)}"`);
      }
      rest = rest.slice(1);
    }
    const [valueText = ''] = rest.trim().split(/\s+/);
    const value = parseValue(valueText);
    if (Number.isNaN(value) && valueText !== 'NaN')
      throw new ExpositionError(lineNo, `"${valueText}" is not a sample value`);
    out.push({ name, labels, value });
  });
  return out;
}
