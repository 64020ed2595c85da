// The cluster file's JSON Schema, generated from the same zod schema that
// validates it, so editors (the YAML language server) and CI can check a
// cluster file before phased reads it. Checks that need the whole file
// (a look that could never decide, readings per phase) stay phased's own.
import { z } from 'zod';
import { clusterConfigSchema } from './schema.js';

export function clusterFileJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(clusterConfigSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'phased cluster file',
    description:
      'A fleet phased deploys to: its hosts, how canaries are chosen and judged, durations, probes and metrics.',
  };
}
