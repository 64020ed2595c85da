// Quoting for the one place a shell line is unavoidable: an SSH exec request
// is a string the remote user's shell parses. Every argument is wrapped in
// single quotes (inside which nothing is special), with embedded single
// quotes closed, escaped and reopened.

export function shellQuote(arg: string): string {
  if (arg.includes('\0')) throw new RangeError('arguments cannot contain NUL bytes');
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

export function shellLine(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
