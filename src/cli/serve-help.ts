// What `depthmill serve --help` says about configuration: every variable the server reads, its
// default and what it does, grouped as an operator looks for them. test/cli/serve-help.test.ts
// keeps it whole: every variable config.ts reads and every one docs/operations.md's tables list is here.

interface Variable {
  name: string;
  default: string;
  meaning: string;
}

const GROUPS: [string, Variable[]][] = [
  [
    'Where it listens and keeps its data',
    [
      { name: 'PORT', default: '8080', meaning: 'port to listen on (0 picks a free one)' },
      { name: 'HOST', default: '127.0.0.1', meaning: 'address to bind' },
      {
        name: 'DEPTHMILL_PUBLIC_URL',
        default: 'http://HOST:PORT',
        meaning: 'base of download links (behind a proxy, or when binding 0.0.0.0)',
      },
      { name: 'DEPTHMILL_TLS_CERT', default: '', meaning: 'PEM certificate (chain) file: serve HTTPS (with DEPTHMILL_TLS_KEY)' },
      { name: 'DEPTHMILL_TLS_KEY', default: '', meaning: 'PEM private key file of that certificate' },
      { name: 'DEPTHMILL_DATA', default: './data', meaning: 'data directory: database, inputs, results' },
      { name: 'DEPTHMILL_DB', default: '$DEPTHMILL_DATA/depthmill.sqlite', meaning: 'SQLite file, or postgres://… (distributed mode)' },
      { name: 'DEPTHMILL_BLOBS', default: '$DEPTHMILL_DATA/blobs', meaning: 'folder of inputs and results, or s3://bucket/prefix' },
      { name: 'DEPTHMILL_S3_ENDPOINT', default: 'AWS', meaning: 'an S3-compatible endpoint (MinIO, …); credentials from AWS_*' },
      { name: 'DEPTHMILL_QUEUE', default: 'in-process', meaning: 'redis://host:6379/0 for BullMQ (needed by --role api|worker)' },
      { name: 'DEPTHMILL_ROLE', default: 'all', meaning: 'all | api | worker' },
      {
        name: 'DEPTHMILL_JOB_LOCK_MS',
        default: '30000',
        meaning: 'distributed: a job whose worker stops renewing its lock this long goes to another',
      },
      {
        name: 'DEPTHMILL_RECONCILE_INTERVAL_MS',
        default: '30000',
        meaning: 'how often a worker queues again the unfinished tasks the queue lost',
      },
      { name: 'DEPTHMILL_RETENTION_HOURS', default: '168', meaning: 'inputs and results are deleted this long after their task ended' },
      { name: 'DEPTHMILL_HOUSEKEEPING_INTERVAL_MS', default: '60000', meaning: 'how often overdue tasks and expired files are looked for' },
    ],
  ],
  [
    'Models and the work',
    [
      {
        name: 'DEPTHMILL_MODELS',
        default: '~/.cache/depthmill/models',
        meaning: 'model folder ($XDG_CACHE_HOME/depthmill/models when set)',
      },
      { name: 'DEPTHMILL_MODEL_PRO', default: 'best installed', meaning: 'depth model for model_type pro' },
      { name: 'DEPTHMILL_MODEL_BASE', default: 'best installed', meaning: 'depth model for model_type base' },
      { name: 'DEPTHMILL_MODEL_MASK', default: 'u2netp', meaning: 'background-removal model' },
      { name: 'DEPTHMILL_MODEL_REGISTRY', default: '', meaning: 'a JSON file of extra model entries' },
      { name: 'DEPTHMILL_SKIP_MODEL_DOWNLOADS', default: '', meaning: '1: the install step fetches no model by URL' },
      {
        name: 'DEPTHMILL_EXECUTION_PROVIDERS',
        default: 'cpu',
        meaning: 'cuda,cpu runs ONNX Runtime on the GPU (ONNXRUNTIME_NODE_INSTALL=cuda12)',
      },
      { name: 'DEPTHMILL_CONCURRENCY', default: 'one per core', meaning: 'tasks run at once, each on its own worker thread' },
      { name: 'DEPTHMILL_INFERENCE_THREADS', default: 'cores, up to 4', meaning: 'ONNX Runtime threads of each worker thread' },
      { name: 'DEPTHMILL_WORKER_NICE', default: '10', meaning: 'nice value (0-19) of the worker threads: HTTP keeps priority' },
      { name: 'DEPTHMILL_MAX_TRIANGLES', default: '2000000', meaning: "triangles a relief's mesh may have" },
      { name: 'DEPTHMILL_TASK_TIMEOUT_MS', default: '3600000', meaning: 'a task not done by then fails (5001001)' },
    ],
  ],
  [
    'Clients, limits and safety',
    [
      { name: 'DEPTHMILL_TASK_QUOTA', default: '10', meaning: 'unfinished tasks one client may have at once (429 beyond)' },
      { name: 'DEPTHMILL_RATE_LIMIT', default: '600', meaning: 'requests per minute per client (429 beyond)' },
      { name: 'DEPTHMILL_SIGNIN_RATE_LIMIT', default: '30', meaning: 'sign-in attempts per minute per address' },
      { name: 'DEPTHMILL_CREDITS_DEPTH_MAP', default: '1', meaning: 'credits a depth-map task costs a metered client' },
      { name: 'DEPTHMILL_CREDITS_RELIEF', default: '1', meaning: 'credits a relief or lithophane task costs a metered client' },
      { name: 'DEPTHMILL_MAX_IMAGE_BYTES', default: '20971520', meaning: 'largest image upload or image_url download (413 beyond)' },
      { name: 'DEPTHMILL_MAX_PIXELS', default: '50000000', meaning: 'largest image, in pixels, checked before decoding' },
      { name: 'DEPTHMILL_DECODE_TIMEOUT_S', default: '20', meaning: 'time one image may take to decode' },
      { name: 'DEPTHMILL_REQUEST_TIMEOUT_MS', default: '300000', meaning: 'time a request may take to arrive (408 beyond)' },
      { name: 'DEPTHMILL_FETCH_ALLOWLIST', default: '', meaning: 'internal hosts image_url and callback_url may reach (comma-separated)' },
      { name: 'DEPTHMILL_FETCH_TIMEOUT_MS', default: '15000', meaning: 'time allowed to fetch an image_url' },
      { name: 'DEPTHMILL_CALLBACK_TIMEOUT_MS', default: '10000', meaning: 'time one callback POST may take before it is retried' },
    ],
  ],
  [
    'Operations',
    [
      { name: 'DEPTHMILL_LOG_LEVEL', default: 'info', meaning: 'pino level: fatal error warn info debug trace silent' },
      { name: 'DEPTHMILL_METRICS', default: '1', meaning: '0: no /metrics page and no worker metrics port' },
      { name: 'DEPTHMILL_METRICS_PORT', default: 'none', meaning: 'role worker: the port of its own /metrics page (0 picks one)' },
    ],
  ],
];

/** Every variable the help lists, by name. */
export const SERVE_VARIABLES: readonly string[] = GROUPS.flatMap(([, variables]) => variables.map((variable) => variable.name));

/** The text after `serve --help`'s options: each group, one variable a line with its default. */
export function serveVariablesHelp(): string {
  const width = Math.max(...GROUPS.flatMap(([, variables]) => variables.map((variable) => variable.name.length)));
  const lines = ['', 'Environment variables (a flag above wins over its variable; docs/operations.md has more on each):'];
  for (const [title, variables] of GROUPS) {
    lines.push('', `  ${title}:`);
    for (const variable of variables) {
      const fallback = variable.default ? ` (default ${variable.default})` : '';
      lines.push(`    ${variable.name.padEnd(width)}  ${variable.meaning}${fallback}`);
    }
  }
  return lines.join('\n');
}
