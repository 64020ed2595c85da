// The chart library the report inlines: uPlot (51 KB minified, no
// dependencies, made for time series), read from its installed package so
// the page works offline.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ChartAssets } from './html.js';

const require = createRequire(import.meta.url);

export function chartAssets(): ChartAssets {
  return {
    script: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
}
