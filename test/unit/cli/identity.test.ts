// Who the operator is: a client certificate's subject or an API key's, which
// the namespace's authorizer checked, before any name the caller types.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiKeySubject, operatorIdentity } from '../../../src/app/cli/identity.js';
import { PhasedError } from '../../../src/errors.js';
import { testDir } from '../../helpers/tmp.js';

async function certificate(subject: string): Promise<string> {
  const dir = await testDir();
  const cert = path.join(dir, 'client.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      path.join(dir, 'client.key'),
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      subject,
    ],
    { stdio: 'ignore' },
  );
  return cert;
}

const jwt = (claims: object) =>
  ['e30', Buffer.from(JSON.stringify(claims)).toString('base64url'), 'sig'].join('.');

describe('operatorIdentity', () => {
  it("takes the client certificate's CN, and refuses an --operator that is someone else", async () => {
    const cert = await certificate('/O=example/CN=alice@example.com');
    const env = { TEMPORAL_TLS_CLIENT_CERT_PATH: cert, PHASED_OPERATOR: 'mallory' };
    expect(operatorIdentity(undefined, env)).toEqual({
      operator: 'alice@example.com',
      from: 'certificate',
    });
    expect(operatorIdentity('alice@example.com', env).operator).toBe('alice@example.com');
    let refused: unknown;
    try {
      operatorIdentity('bob', env);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(PhasedError);
    expect((refused as PhasedError).code).toBe('NOT_AUTHORIZED');
    expect((refused as PhasedError).problem).toBe(
      '--operator bob is not who this connection is: its certificate says alice@example.com',
    );
  });

  it("takes an API key's subject claim, else the name given", () => {
    expect(apiKeySubject(jwt({ sub: 'ci-web' }))).toBe('ci-web');
    expect(apiKeySubject('opaque-key')).toBeUndefined();
    expect(operatorIdentity(undefined, { TEMPORAL_API_KEY: jwt({ sub: 'ci-web' }) })).toEqual({
      operator: 'ci-web',
      from: 'api key',
    });
    expect(operatorIdentity(undefined, { TEMPORAL_API_KEY: 'opaque', USER: 'erin' })).toEqual({
      operator: 'erin',
      from: 'name',
    });
    expect(operatorIdentity('dave', { PHASED_OPERATOR: 'x', USER: 'erin' }).operator).toBe('dave');
    expect(operatorIdentity(undefined, { PHASED_OPERATOR: 'x', USER: 'erin' }).operator).toBe('x');
  });
});
