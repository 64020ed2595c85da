import { describe, expect, it } from 'vitest';
import { accessRefusal } from '../../../src/core/access.js';

describe('accessRefusal', () => {
  it('lets anyone in without an access list, and only the listed (or "*") with one', () => {
    expect(accessRefusal('web', undefined, 'deploy', 'anyone')).toBeUndefined();
    const access = { deploy: ['ci@example.com'], abort: ['*'], rollback: [] };
    expect(accessRefusal('web', access, 'deploy', 'ci@example.com')).toBeUndefined();
    expect(accessRefusal('web', access, 'abort', 'mallory')).toBeUndefined();
    expect(accessRefusal('web', access, 'deploy', 'mallory')).toBe(
      'mallory may not deploy cluster web: access.deploy lists ci@example.com',
    );
    expect(accessRefusal('web', access, 'rollback', 'ci@example.com')).toBe(
      'ci@example.com may not rollback cluster web: its access list grants rollback to nobody',
    );
    expect(accessRefusal('web', access, 'promote', 'ci@example.com')).toBe(
      'ci@example.com may not promote cluster web: its access list grants promote to nobody',
    );
  });
});
