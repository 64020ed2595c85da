// The series the built-in probes produce, named once: the probes read them
// and the cluster file's validation checks metrics against them.
export const BUILTIN_SERIES = {
  loadavg: ['load1', 'load5', 'load15'],
  cpu: ['cpu_busy', 'cpu_total'],
} as const;
