import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers of docs/ARCHITECTURE.md: a file under `folders` may import, of the project, only its
 * own folder and the `may` folders (contract/ is the wire contract every layer shares). Imports are
 * relative within src/, so a layer is named by the first folder after `../`.
 */
function layer(folders, may, why) {
  const allowed = [...folders, ...may].join('|');
  return {
    files: folders.map((folder) => `src/${folder}/**/*.ts`),
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: `^\\.\\./(?!(${allowed})/)`, message: `${why} (docs/ARCHITECTURE.md)` },
            { regex: '^\\.\\./\\.\\./', message: `${why} (docs/ARCHITECTURE.md)` },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'web/dist/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  layer(['contract'], [], 'contract/ imports nothing of the project: every layer imports it'),
  layer(['pipeline', 'formats', 'relief', 'raster', 'models'], ['contract'], 'the image and mesh code imports only contract/ and itself (pipeline, formats, relief, raster, models)'),
  layer(['tasks'], ['contract'], 'tasks/ imports only contract/: its I/O goes through its ports'),
  layer(['client'], ['contract'], 'the SDK imports only contract/: no server code in a client'),
);
