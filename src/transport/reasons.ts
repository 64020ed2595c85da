// What a remote command said about why it failed, without the login chatter
// sshd adds (a missing home directory, a host added to known_hosts), on one
// line so that it reads well in a verdict, the CLI and the Temporal UI.
const NOISE = /^(Could not chdir to home directory|Warning: Permanently added)/;

export function failureReasons(stderr: string, max = 400): string {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !NOISE.test(l))
    .join('; ')
    .slice(0, max);
}
