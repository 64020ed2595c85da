// ESLint flat config: typed rules for all TypeScript, plus a purity fence around workflows/.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.phased/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code is replayed deterministically inside Temporal's sandbox:
    // no Node built-ins, no I/O libraries, and activities only as types.
    files: ['workflows/**/*.ts'],
    rules: {
      // A plain Error thrown from workflow code fails the workflow task, which
      // Temporal retries forever: the deploy hangs instead of ending.
      'no-restricted-syntax': [
        'error',
        ...['NewExpression', 'CallExpression'].map((node) => ({
          selector: `${node}[callee.name=/^(Aggregate|Eval|Range|Reference|Syntax|Type|URI)?Error$/]`,
          message:
            'Workflow code throws typed failures (ApplicationFailure, or Stop to unwind a deploy), never a plain Error.',
        })),
        {
          selector: 'ClassDeclaration[superClass.name=/Error$/]',
          message:
            'Workflow errors extend ApplicationFailure, so Temporal fails the workflow, not its task.',
        },
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Workflow code must be deterministic: do I/O in an activity.',
          })),
          patterns: [
            {
              regex: '(^|/)src/(?!core/)',
              message:
                'Workflow code may import only @temporalio/workflow, workflows/, src/core/ and types.',
              allowTypeImports: true,
            },
            {
              group: ['ssh2', '@temporalio/client', '@temporalio/worker'],
              message:
                'Workflow code may import only @temporalio/workflow, workflows/, src/core/ and types.',
              allowTypeImports: true,
            },
            {
              group: ['**/activities/**'],
              message: 'Import activities as types and call them through proxyActivities.',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    // src/core/ is the deterministic floor both workflows and activities stand
    // on: it imports nothing but itself and types.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!\\./)',
              message: 'src/core/ imports only other src/core/ modules (and types).',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    // Asymmetric matchers (expect.stringMatching, expect.any) are typed `any`.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
