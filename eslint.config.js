// Lint: typescript-eslint recommended, plus the architecture rule that src/core stays pure
// (no node:*, no onnxruntime, no geotiff, no express, no sharp) so the data flow points inward.
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
);
