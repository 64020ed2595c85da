// The host layout is spelled once (src/releases/layout.ts) for TypeScript and
// for the remote scripts. Hosts already deployed hold this layout on disk, so
// the expected paths here are written out literally: a change to the layout
// module that would orphan existing releases fails here.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  currentLink,
  releaseDir,
  releaseLink,
  releasesDir,
  SHELL_LAYOUT,
} from '../../../src/releases/layout.js';

describe('the host layout', () => {
  it('names the paths the hosts already hold', () => {
    expect(releasesDir('/srv/app')).toBe('/srv/app/releases');
    expect(releaseDir('/srv/app', 'v2')).toBe('/srv/app/releases/v2');
    expect(releaseLink('v2')).toBe('releases/v2');
    expect(currentLink('/srv/app')).toBe('/srv/app/current');
  });

  it('gives the remote scripts the same paths, from the root in $1', () => {
    const show = `${SHELL_LAYOUT}
rev=v2
printf '%s\\n' "$releases/$rev" "$releases_name/$rev" "$releases/.$rev$complete" \\
  "$releases/.$rev$rejected" "$current" "$switch_log" "$temp_link_prefix"123.tmp`;
    const out = execFileSync('sh', ['-c', show, 'layout-test', '/srv/my app'], {
      encoding: 'utf8',
    });
    expect(out.trimEnd().split('\n')).toEqual([
      '/srv/my app/releases/v2',
      'releases/v2',
      '/srv/my app/releases/.v2.phased',
      '/srv/my app/releases/.v2.rejected',
      '/srv/my app/current',
      '/srv/my app/switches.log',
      '/srv/my app/.current.123.tmp',
    ]);
  });
});
