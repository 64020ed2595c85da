import { describe, expect, it } from 'vitest';
import { PhasedError } from '../../../src/errors.js';
import { temporalSettings } from '../../../src/app/temporal/settings.js';

describe('temporalSettings', () => {
  it('defaults to the embedded server, namespace default and task queue phased', () => {
    expect(temporalSettings({})).toEqual({
      address: undefined,
      namespace: 'default',
      taskQueue: 'phased',
      tls: undefined,
      apiKey: undefined,
    });
  });

  it("reads an existing cluster from Temporal's own variables", () => {
    const settings = temporalSettings({
      TEMPORAL_ADDRESS: 'temporal.prod:7233',
      TEMPORAL_NAMESPACE: 'deploys',
      PHASED_TASK_QUEUE: 'phased-eu',
      TEMPORAL_TLS_CLIENT_CERT_PATH: '/etc/phased/client.pem',
      TEMPORAL_TLS_CLIENT_KEY_PATH: '/etc/phased/client.key',
    });
    expect(settings).toMatchObject({
      address: 'temporal.prod:7233',
      namespace: 'deploys',
      taskQueue: 'phased-eu',
      tls: { clientCertPath: '/etc/phased/client.pem', clientKeyPath: '/etc/phased/client.key' },
    });
  });

  it('treats an empty TEMPORAL_ADDRESS as unset', () => {
    expect(temporalSettings({ TEMPORAL_ADDRESS: '' }).address).toBeUndefined();
  });

  it('rejects half a client certificate pair, naming both variables', () => {
    expect(() => temporalSettings({ TEMPORAL_TLS_CLIENT_CERT_PATH: '/x.pem' })).toThrow(
      PhasedError,
    );
    expect(() => temporalSettings({ TEMPORAL_TLS_CLIENT_CERT_PATH: '/x.pem' })).toThrow(
      /TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH/,
    );
  });
});
