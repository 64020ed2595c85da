// Connections to Temporal with errors a person can act on, instead of the
// SDK's gRPC stack traces.
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import proto from '@temporalio/proto';
import { PhasedError, describeCause } from '../../errors.js';
import { phasedSearchAttributes } from '../../../workflows/search-attributes.js';
import { tlsOptions, type TemporalSettings } from './settings.js';

const CONNECT_TIMEOUT = '5s';

function unreachable(address: string, fromEnv: boolean, cause: unknown): PhasedError {
  return new PhasedError({
    code: 'TEMPORAL_UNREACHABLE',
    problem: `cannot reach the Temporal server at ${address}${fromEnv ? ' (TEMPORAL_ADDRESS)' : ''}: ${describeCause(cause)}`,
    fix: fromEnv
      ? 'check that the server is up and TEMPORAL_ADDRESS (and the TLS settings) are right, or unset TEMPORAL_ADDRESS to use the embedded dev server'
      : 'start the server first (phased server), or set TEMPORAL_ADDRESS to a running cluster',
    retryable: true,
    cause,
  });
}

export interface ConnectTarget {
  address: string;
  settings: Pick<TemporalSettings, 'tls' | 'apiKey'>;
  /** True when the address came from TEMPORAL_ADDRESS (changes the advice in errors). */
  fromEnv?: boolean;
}

/** A client connection (for starting, signalling and querying workflows). */
export async function connectClient({ address, settings, fromEnv = false }: ConnectTarget) {
  try {
    return await Connection.connect({
      address,
      tls: tlsOptions(settings.tls),
      apiKey: settings.apiKey,
      connectTimeout: CONNECT_TIMEOUT,
    });
  } catch (cause) {
    throw unreachable(address, fromEnv, cause);
  }
}

/** A native connection (for workers). */
export async function connectWorker({ address, settings, fromEnv = false }: ConnectTarget) {
  try {
    return await NativeConnection.connect({
      address,
      tls: tlsOptions(settings.tls),
      apiKey: settings.apiKey,
    });
  } catch (cause) {
    throw unreachable(address, fromEnv, cause);
  }
}

const { IndexedValueType } = proto.temporal.api.enums.v1;

/**
 * Makes sure phased's search attributes exist in the namespace. Idempotent:
 * adds only the missing ones (the embedded server already has them all).
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string) {
  let existing: Record<string, unknown>;
  try {
    const listed = await connection.operatorService.listSearchAttributes({ namespace });
    existing = listed.customAttributes ?? {};
  } catch (cause) {
    throw new PhasedError({
      code: 'TEMPORAL_SEARCH_ATTRIBUTES',
      problem: `cannot list search attributes in namespace ${namespace}: ${describeCause(cause)}`,
      fix: 'check that the namespace exists and that this identity may use the operator API',
      cause,
    });
  }
  const missing = phasedSearchAttributes.filter((key) => !(key.name in existing));
  if (missing.length === 0) return;
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        missing.map((key) => [key.name, IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
      ),
    });
  } catch (cause) {
    throw new PhasedError({
      code: 'TEMPORAL_SEARCH_ATTRIBUTES',
      problem: `cannot register search attributes ${missing.map((k) => k.name).join(', ')} in namespace ${namespace}: ${describeCause(cause)}`,
      fix: `ask the cluster's admin to run: ${missing.map((k) => `temporal operator search-attribute create --namespace ${namespace} --name ${k.name} --type Keyword`).join(' && ')}`,
      cause,
    });
  }
}
