// Host key verification against an OpenSSH known_hosts file (plain and
// hashed entries), so phased trusts exactly the keys ssh itself would.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface KnownKey {
  type: string;
  /** The key blob, base64 as in the file. */
  key: string;
}

/** The name a host has in known_hosts: "addr" on port 22, "[addr]:port" otherwise. */
export function knownHostsName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return pattern.split(',').includes(name);
}

/** Keys known for a host, from the text of a known_hosts file. */
export function keysFor(knownHosts: string, name: string): KnownKey[] {
  const keys: KnownKey[] = [];
  for (const raw of knownHosts.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('@')) continue;
    const [patterns, type, key] = line.split(/\s+/);
    if (patterns && type && key && patternMatches(patterns, name)) keys.push({ type, key });
  }
  return keys;
}

export function readKnownHosts(file: string): string {
  return readFileSync(file, 'utf8');
}
