// The user the SSH benchmarks log in as. Hosts are reached as a deploy user
// whose shell (/bin/sh) reads no rc files, as on a real fleet. Root's
// .bashrc on our CI machines runs `pyenv init` in every SSH session (about
// 110 ms of CPU each), which would measure that file rather than phased.
import os from 'node:os';
import { ensureLoginUser } from '../src/app/demo/sshd-fleet.js';

export function deployUser(): string {
  if (process.getuid?.() !== 0) return os.userInfo().username;
  const user = 'phased-bench';
  ensureLoginUser(user);
  return user;
}
