// Writes the workflow bundle to a file (argv[2]), as a build step would, so
// the measured worker loads prebuilt code instead of running webpack itself.
import { writeFileSync } from 'node:fs';
import { bundleWorkflows } from '../../src/app/worker.js';

const out = process.argv[2];
if (!out) throw new Error('usage: tsx bench/scale/bundle.ts <output file>');
writeFileSync(out, (await bundleWorkflows()).code);
