// Loads a cluster configuration file (YAML or JSON) and validates it up front.
import { readFileSync } from 'node:fs';
import { parse, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { PhasedError } from '../errors.js';
import { defaultHoldback } from '../core/plan.js';
import { clusterConfigSchema, type ClusterConfig } from './schema.js';

/** "hosts[2].root" from a zod issue path. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

/** CONFIG_INVALID listing each problem as "field: message". */
export function configInvalid(
  source: string,
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): PhasedError {
  const lines = issues.map((i) => `${fieldPath(i.path) || '(top level)'}: ${i.message}`);
  return invalid(source, lines);
}

function invalid(source: string, lines: readonly string[]): PhasedError {
  return new PhasedError({
    code: 'CONFIG_INVALID',
    problem: `${source} has ${lines.length} error${lines.length === 1 ? '' : 's'}:\n${lines.map((l) => `  - ${l}`).join('\n')}`,
    fix: `correct the fields above in ${source}`,
  });
}

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    // An unknown key is reported at its own path ("durations.baselin"), one line each.
    if (issue.code === 'unrecognized_keys') {
      const lines = issue.message.split('\n');
      return issue.keys.map(
        (key, i) => `${fieldPath([...issue.path, key])}: ${lines[i] ?? 'unknown key'}`,
      );
    }
    return [`${fieldPath(issue.path) || '(top level)'}: ${issue.message}`];
  });
}

/**
 * Validates an already parsed document, its shape and its fields against
 * each other; throws CONFIG_INVALID listing every bad field. It runs no
 * judge: whether the looks can decide is planning (assertDecidable).
 */
export function parseClusterConfig(doc: unknown, source = 'configuration'): ClusterConfig {
  const result = clusterConfigSchema.safeParse(doc);
  // The default holdback depends on the fleet and the judge: written into the
  // configuration the deploy records, so its plan is explicit in its input.
  if (result.success)
    return { ...result.data, holdback: result.data.holdback ?? defaultHoldback(result.data) };
  throw invalid(source, formatIssues(result.error.issues));
}

export function loadClusterConfig(file: string): ClusterConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new PhasedError({
      code: 'CONFIG_INVALID',
      problem: `cannot read the cluster configuration ${file}`,
      fix: 'pass --config with the path of an existing YAML file',
      cause,
    });
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (cause) {
    const where =
      cause instanceof YAMLParseError ? ` (line ${cause.linePos?.[0].line ?? '?'})` : '';
    throw new PhasedError({
      code: 'CONFIG_INVALID',
      problem: `${file} is not valid YAML${where}: ${(cause as Error).message.split('\n')[0]}`,
      fix: 'fix the YAML syntax',
      cause,
    });
  }
  return parseClusterConfig(doc, file);
}
