// The URL of an HTTP endpoint on a host (an exporter, a health check), as the
// worker reaches it: an IPv6 address in brackets.
import type { Host } from '../core/vocabulary.js';

export function hostUrl(
  host: Pick<Host, 'address'>,
  { scheme = 'http', port, path }: { scheme?: 'http' | 'https'; port: number; path: string },
): string {
  const address = host.address.includes(':') ? `[${host.address}]` : host.address;
  return `${scheme}://${address}:${port}${path}`;
}
