// Validators for the names that end up in paths and remote commands. They are
// deliberately strict: a revision or host name is a single safe path segment.

/** Letters, digits, dot, underscore, dash; starts with a letter or digit; not "." or "..". */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isSafeSegment(value: string): boolean {
  return SEGMENT.test(value) && value !== '.' && value !== '..' && !value.includes('..');
}

export const SEGMENT_RULE =
  'use 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit (no "/", "..", spaces or shell characters)';

/** An absolute path whose segments are all safe (no "..", no shell characters). */
export function isSafeAbsolutePath(value: string): boolean {
  if (!value.startsWith('/') || value.length > 1024) return false;
  const parts = value.split('/').slice(1);
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.every((p) =>
    p === '' ? false : /^[A-Za-z0-9._@+-]+$/.test(p) && p !== '.' && p !== '..',
  );
}

/** Host addresses: DNS names, IPv4 or IPv6; never starting with "-" (an ssh option). */
export function isSafeAddress(value: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/.test(value) || /^[0-9A-Fa-f:.]+$/.test(value);
}
