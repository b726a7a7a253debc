import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeModules = ['fs', 'path', 'os', 'child_process', 'net', 'http', 'https', 'crypto', 'dns', 'tls', 'stream', 'worker_threads', 'process', 'timers'];

export default tseslint.config(
  { ignores: ['node_modules/**', '.stack/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  { files: ['**/*.js'], languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } } },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // The CLI and scripts talk to a person: stdout is their product.
    files: ['client/**', 'bench/**', 'stack/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // Workflows are replayed: no Node, network, clock, randomness or environment.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeModules.flatMap((m) => [m, `node:${m}`]).concat(['kafkajs', 'hive-driver', 'pino']).map((name) => ({ name, message: 'workflows must stay deterministic: do I/O in activities' })),
        patterns: [
          { group: ['node:*'], message: 'workflows must stay deterministic: no Node modules' },
          { group: ['../lib/*', '!../lib/pure', '!../lib/pure/*'], message: 'workflows may import only lib/pure' },
          { group: ['../activities/*'], allowTypeImports: true, message: 'import activities as types only (proxyActivities)' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'process', message: 'no environment in workflows' },
        { name: 'fetch', message: 'no network in workflows' },
        { name: 'setTimeout', message: 'use sleep() from @temporalio/workflow' },
        { name: 'setInterval', message: 'use sleep() from @temporalio/workflow' }],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'workflow time comes from the input or workflowInfo()' },
        { object: 'Math', property: 'random', message: 'no randomness in workflows' }],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'new Date() reads the clock: take the time as input' }],
    },
  },
);
