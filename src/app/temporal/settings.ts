// How phased reaches Temporal: the embedded dev server by default, or an
// existing cluster named by the environment (variable names follow Temporal's
// own client conventions so one set of variables serves the temporal CLI too).
import { readFileSync } from 'node:fs';
import { PhasedError } from '../../errors.js';

export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_TASK_QUEUE = 'phased';

export interface TlsSettings {
  clientCertPath?: string;
  clientKeyPath?: string;
  serverCaCertPath?: string;
  serverName?: string;
}

export interface TemporalSettings {
  /** host:port of an existing server; undefined means "start the embedded one". */
  address: string | undefined;
  namespace: string;
  taskQueue: string;
  tls: TlsSettings | undefined;
  apiKey: string | undefined;
}

export function temporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const tls: TlsSettings = {
    clientCertPath: env.TEMPORAL_TLS_CLIENT_CERT_PATH || undefined,
    clientKeyPath: env.TEMPORAL_TLS_CLIENT_KEY_PATH || undefined,
    serverCaCertPath: env.TEMPORAL_TLS_SERVER_CA_CERT_PATH || undefined,
    serverName: env.TEMPORAL_TLS_SERVER_NAME || undefined,
  };
  const wantsTls = env.TEMPORAL_TLS === 'true' || Object.values(tls).some((v) => v !== undefined);
  if (Boolean(tls.clientCertPath) !== Boolean(tls.clientKeyPath)) {
    throw new PhasedError({
      code: 'CONFIG_INVALID',
      problem:
        'TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH must be set together',
      fix: 'set both (mutual TLS) or neither',
    });
  }
  return {
    address: env.TEMPORAL_ADDRESS || undefined,
    namespace: env.TEMPORAL_NAMESPACE || DEFAULT_NAMESPACE,
    taskQueue: env.PHASED_TASK_QUEUE || DEFAULT_TASK_QUEUE,
    tls: wantsTls ? tls : undefined,
    apiKey: env.TEMPORAL_API_KEY || undefined,
  };
}

/** TLS options in the shape both Connection and NativeConnection accept. */
export function tlsOptions(tls: TlsSettings | undefined) {
  if (!tls) return undefined;
  const read = (file: string, variable: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (cause) {
      throw new PhasedError({
        code: 'CONFIG_INVALID',
        problem: `cannot read ${variable}=${file}`,
        fix: `point ${variable} at a readable PEM file`,
        cause,
      });
    }
  };
  return {
    serverNameOverride: tls.serverName,
    serverRootCACertificate: tls.serverCaCertPath
      ? read(tls.serverCaCertPath, 'TEMPORAL_TLS_SERVER_CA_CERT_PATH')
      : undefined,
    clientCertPair:
      tls.clientCertPath && tls.clientKeyPath
        ? {
            crt: read(tls.clientCertPath, 'TEMPORAL_TLS_CLIENT_CERT_PATH'),
            key: read(tls.clientKeyPath, 'TEMPORAL_TLS_CLIENT_KEY_PATH'),
          }
        : undefined,
  };
}
