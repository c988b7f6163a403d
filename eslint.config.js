// Lint: typescript-eslint recommended, plus the architecture rules that keep dependencies pointing inward:
// src/core stays pure (no node:*, no onnxruntime, no geotiff, no express, no sharp); src/adapters never import
// the pipeline, server or CLI (they satisfy the pipeline's ports structurally, checked where they are wired);
// src/pipeline reaches queues and databases only through its ports (no bullmq, ioredis, better-sqlite3), image
// files only through adapters (no sharp), and never imports the server or CLI.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'qgis-bridge/**', 'models/**', 'src/http/public/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'path', 'http', 'https', 'child_process', 'os'], message: 'src/core is pure: no I/O. Put I/O in src/adapters.' },
          { group: ['onnxruntime-node', 'geotiff', 'express', 'sharp', 'better-sqlite3', 'pino', 'pino-http'], message: 'src/core is pure: use an adapter.' },
          { group: ['**/adapters/**', '**/pipeline/**', '**/http/**', '**/cli/**'], message: 'Dependencies point inward: core imports nothing outside core.' },
        ],
      }],
    },
  },
  {
    files: ['src/adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/pipeline/**', '**/http/**', '**/cli/**'], message: 'Adapters point inward: no pipeline, server or CLI imports (wire them at the edge).' },
        ],
      }],
    },
  },
  {
    files: ['src/pipeline/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['bullmq', 'ioredis', 'better-sqlite3', 'express', 'pino-http', 'sharp'], message: 'src/pipeline does no queue, database, HTTP or image-file I/O itself: call an adapter (image files: src/adapters/images), or declare a port here (workUnitBroker.ts, jobStorePort.ts) and implement it in src/adapters.' },
          { group: ['**/http/**', '**/cli/**'], message: 'Dependencies point inward: the pipeline does not import the server or CLI.' },
        ],
      }],
    },
  },
);
