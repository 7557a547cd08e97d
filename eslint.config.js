import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers of docs/ARCHITECTURE.md: a file under `folders` may import, of the project, only its
 * own folder and what `may` names: a folder ('raster'), or one file of a folder ('relief/mesh.js')
 * where a layer may use that file and nothing else of its folder (contract/ is the wire contract
 * every layer shares). Imports are relative within src/, so a layer is named by the first folder
 * after `../`. The rules run one way only: no two layers may import each other.
 */
function layer(folders, may, why) {
  const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const allowed = [...folders, ...may].map((entry) => (entry.includes('/') ? `${escape(entry)}$` : `${escape(entry)}/`)).join('|');
  return {
    files: folders.map((folder) => `src/${folder}/**/*.{ts,mjs}`),
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: `^\\.\\./(?!(${allowed}))`, message: `${why} (docs/ARCHITECTURE.md)` },
            { regex: '^\\.\\./\\.\\./', message: `${why} (docs/ARCHITECTURE.md)` },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'web/dist/', 'coverage/', 'packages/*/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Type-aware rules where the code is async (tasks, adapters, the API, the CLI): a promise nobody
    // awaits or catches loses its error (an unhandled rejection ends the process), and an async
    // function where a void callback is expected (an event handler, a timer) does the same.
    files: ['src/**/*.ts', 'web/src/**/*.ts', 'packages/client/src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  layer(['contract'], [], 'contract/ imports nothing of the project: every layer imports it'),
  layer(['raster'], ['contract'], 'raster/ is pure functions on pixels: it imports only contract/'),
  layer(['models'], ['raster', 'contract'], 'models/ (registry, download, sessions) imports only raster/ and contract/'),
  layer(['pipeline'], ['models', 'raster', 'contract'], 'pipeline/ imports only models/, raster/ and contract/'),
  layer(
    ['relief'],
    ['raster', 'contract'],
    'relief/ imports only raster/ and contract/: it builds a mesh from a depth map, whoever made it',
  ),
  layer(
    ['formats'],
    ['raster', 'relief/mesh.js', 'contract'],
    "formats/ imports only raster/, relief's mesh types (relief/mesh.ts) and contract/",
  ),
  layer(['tasks'], ['contract'], 'tasks/ imports only contract/: its I/O goes through its ports'),
  layer(['client'], [], 'src/client/ only re-exports the SDK (@depthmill/client): no server code in a client'),
  {
    // The SDK package (packages/client, @depthmill/client) installs alone: it imports only its own
    // files, @noble/hashes (the callback HMAC) and fflate (reading a 3MF back), both pure
    // JavaScript, not even node:, so that browsers, Deno and workers run it.
    // The server imports it (its contract), never the other way round.
    files: ['packages/client/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!\\./|@noble/hashes/|fflate$)',
              message:
                'the SDK (packages/client) imports only its own files, @noble/hashes and fflate: no Node module (docs/ARCHITECTURE.md)',
            },
          ],
        },
      ],
    },
  },
);
