// Who the operator is, as the CLI tells the worker: the subject of the
// Temporal client certificate when the connection has one (the identity the
// namespace's authorizer checked), else the API key's subject, else
// --operator, $PHASED_OPERATOR or $USER (a name, not a proof: see the
// README's trust model).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { X509Certificate } from 'node:crypto';
import { PhasedError } from '../../errors.js';

export interface OperatorIdentity {
  operator: string;
  /** Where it came from, for messages. */
  from: 'certificate' | 'api key' | 'name';
}

/** The CN of a certificate's subject (the whole subject when it has no CN). */
export function certificateSubject(pem: string): string {
  const subject = new X509Certificate(pem).subject;
  const cn = subject.split('\n').find((l) => l.startsWith('CN='));
  return cn ? cn.slice(3) : subject.replaceAll('\n', ',');
}

/** The `sub` claim of an API key that is a JWT (Temporal Cloud's are); undefined otherwise. */
export function apiKeySubject(key: string): string | undefined {
  const parts = key.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as {
      sub?: unknown;
    };
    return typeof claims.sub === 'string' && claims.sub ? claims.sub : undefined;
  } catch {
    return undefined;
  }
}

export function operatorIdentity(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): OperatorIdentity {
  const certFile = env.TEMPORAL_TLS_CLIENT_CERT_PATH;
  let proven: OperatorIdentity | undefined;
  if (certFile) {
    let subject: string;
    try {
      subject = certificateSubject(readFileSync(certFile, 'utf8'));
    } catch (cause) {
      throw new PhasedError({
        code: 'CONFIG_INVALID',
        problem: `cannot read the client certificate ${certFile} (TEMPORAL_TLS_CLIENT_CERT_PATH)`,
        fix: 'point TEMPORAL_TLS_CLIENT_CERT_PATH at a PEM certificate',
        cause,
      });
    }
    proven = { operator: subject, from: 'certificate' };
  } else if (env.TEMPORAL_API_KEY) {
    const sub = apiKeySubject(env.TEMPORAL_API_KEY);
    if (sub) proven = { operator: sub, from: 'api key' };
  }
  if (proven) {
    if (flag !== undefined && flag !== proven.operator)
      throw new PhasedError({
        code: 'NOT_AUTHORIZED',
        problem: `--operator ${flag} is not who this connection is: its ${proven.from} says ${proven.operator}`,
        fix: `leave out --operator (you act as ${proven.operator}), or connect with ${flag}'s credentials`,
      });
    return proven;
  }
  return {
    operator: flag ?? env.PHASED_OPERATOR ?? env.USER ?? os.userInfo().username,
    from: 'name',
  };
}
