// The `depthmill` command line: serve, and client credentials. Every command answers --help and
// exits non-zero on failure.
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
// The server, the stores and the configuration's schema are imported by the commands that use
// them (below), not here: `depthmill --version` and `--help` answer without loading them.
import type { Store } from '../adapters/index.js';
import { registerGenerateCommand } from './generate.js';
import { registerModelCommands } from './models.js';
import { registerReliefCommand } from './relief.js';
import { serveVariablesHelp } from './serve-help.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command('depthmill')
  .description('Self-hosted Hitem3D-compatible depth API: one photo in, a depth map out.')
  .version(version, '-V, --version', 'print the version')
  .showHelpAfterError('(run with --help for usage)');

program
  .command('serve')
  .description('run the API server with its worker threads (embedded mode: SQLite, local disk)')
  .option('-p, --port <port>', 'port to listen on (env PORT, default 8080; 0 picks a free one)')
  .option('-H, --host <host>', 'address to bind (env HOST, default 127.0.0.1)')
  .option('-d, --data <dir>', 'data directory (env DEPTHMILL_DATA, default ./data)')
  .option('-c, --concurrency <n>', 'tasks run at once (env DEPTHMILL_CONCURRENCY, default: one per core)')
  .option('--models <dir>', 'model folder (env DEPTHMILL_MODELS, default: the install cache)')
  .option('--role <role>', 'all | api | worker (env DEPTHMILL_ROLE, default all); api and worker need DEPTHMILL_QUEUE')
  .option('--tls-cert <file>', 'PEM certificate (chain): serve HTTPS, with --tls-key (env DEPTHMILL_TLS_CERT)')
  .option('--tls-key <file>', 'PEM private key of --tls-cert (env DEPTHMILL_TLS_KEY)')
  .addHelpText('after', serveVariablesHelp())
  .action(
    async (options: {
      port?: string;
      host?: string;
      data?: string;
      concurrency?: string;
      models?: string;
      role?: string;
      tlsCert?: string;
      tlsKey?: string;
    }) => {
      const [{ loadConfig }, { startServer }] = await Promise.all([import('../config.js'), import('../server.js')]);
      const config = loadConfig({
        ...process.env,
        ...(options.port !== undefined ? { PORT: options.port } : {}),
        ...(options.host !== undefined ? { HOST: options.host } : {}),
        ...(options.data !== undefined ? { DEPTHMILL_DATA: options.data } : {}),
        ...(options.concurrency !== undefined ? { DEPTHMILL_CONCURRENCY: options.concurrency } : {}),
        ...(options.models !== undefined ? { DEPTHMILL_MODELS: options.models } : {}),
        ...(options.role !== undefined ? { DEPTHMILL_ROLE: options.role } : {}),
        ...(options.tlsCert !== undefined ? { DEPTHMILL_TLS_CERT: options.tlsCert } : {}),
        ...(options.tlsKey !== undefined ? { DEPTHMILL_TLS_KEY: options.tlsKey } : {}),
      });
      const server = await startServer(config).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
        throw new Error(
          `port ${config.port} on ${config.host} is already in use (another depthmill?): stop it, or choose another port with --port or PORT (0 picks a free one)`,
        );
      });
      if (server.metricsUrl) console.log(`depthmill worker metrics on ${server.metricsUrl}`);
      console.log(server.url ? `depthmill listening on ${server.url}` : `depthmill worker ready (concurrency ${config.concurrency})`);
      // Printed, never logged: stdout of a laptop's terminal, not a log shipped elsewhere.
      if (server.signInUrl)
        console.log(`depthmill web UI: ${server.signInUrl}  (opens it signed in; the link works once, a fresh one at each start)`);
      else if (server.url)
        console.log(`depthmill web UI: ${server.url}/  (sign in with client credentials: \`depthmill clients create <name>\`)`);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        console.error(`depthmill: ${signal} received, stopping`);
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    },
  );

const clients = program.command('clients').description('manage API client credentials (works with or without a running server)');

async function withStore<T>(action: (store: Store) => Promise<T>): Promise<T> {
  const [{ loadConfig }, { openStore }] = await Promise.all([import('../config.js'), import('../adapters/index.js')]);
  const store = await openStore(loadConfig());
  try {
    return await action(store);
  } finally {
    await store.close();
  }
}

clients
  .command('create <name>')
  .description('create a client; prints its client_id and secret (the secret is shown only this once)')
  .option('--json', 'print {"client_id", "client_secret"} as JSON')
  .action(async (name: string, options: { json?: boolean }) => {
    const { createClient } = await import('../tasks/clients.js');
    const { client, secret } = await withStore((store) => createClient(store, name));
    if (options.json) {
      console.log(JSON.stringify({ client_id: client.id, client_secret: secret }));
    } else {
      console.log(
        `client_id:     ${client.id}\nclient_secret: ${secret}\n\nKeep the secret now: it is stored hashed and cannot be shown again.`,
      );
    }
  });

clients
  .command('list')
  .description('list clients (never their secrets)')
  .option('--json', 'print JSON')
  .action(async (options: { json?: boolean }) => {
    const list = await withStore((store) => store.listClients());
    const rows = list.map((client) => ({
      client_id: client.id,
      name: client.name,
      created_at: new Date(client.createdAt).toISOString(),
      revoked_at: client.revokedAt === undefined ? null : new Date(client.revokedAt).toISOString(),
      // null: unlimited (the default).
      balance: client.balance ?? null,
    }));
    if (options.json) {
      console.log(JSON.stringify(rows));
    } else if (rows.length === 0) {
      console.log('no clients yet: create one with `depthmill clients create <name>`');
    } else {
      for (const row of rows) {
        const balance = row.balance === null ? 'unlimited' : `${row.balance} credits`;
        console.log(
          `${row.client_id}  ${row.name}  ${balance}  created ${row.created_at}${row.revoked_at ? `  REVOKED ${row.revoked_at}` : ''}`,
        );
      }
    }
  });

clients
  .command('revoke <client_id>')
  .description('revoke a client: its secret and every token it holds stop working at once')
  .action(async (clientId: string) => {
    const found = await withStore((store) => store.revokeClient(clientId, Date.now()));
    if (!found) throw new Error(`no client with id ${clientId} (see \`depthmill clients list\`)`);
    console.log(`revoked ${clientId}`);
  });

clients
  .command('credit <client_id> [n]')
  .description('add n credits to a client (negative takes some back); its first credit turns an unlimited balance into a metered one')
  .option('--unlimited', 'make the balance unlimited again (the default: tasks cost nothing)')
  .addHelpText(
    'after',
    '\nCosts per task: DEPTHMILL_CREDITS_DEPTH_MAP and DEPTHMILL_CREDITS_RELIEF (default 1 each); a failed task gives its credits back.',
  )
  .action(async (clientId: string, amount: string | undefined, options: { unlimited?: boolean }) => {
    const unknown = () => new Error(`no client with id ${clientId} (see \`depthmill clients list\`)`);
    if (options.unlimited) {
      if (amount !== undefined) throw new Error('give either n or --unlimited, not both');
      if (!(await withStore((store) => store.makeUnlimited(clientId)))) throw unknown();
      console.log(`${clientId}: unlimited`);
      return;
    }
    if (amount === undefined || !/^-?\d{1,15}$/.test(amount))
      throw new Error(
        `n must be a whole number of credits, like 100 or -5 (got ${amount === undefined ? 'nothing' : JSON.stringify(amount)})`,
      );
    const change = await withStore((store) => store.addCredits(clientId, Number(amount)));
    if (change === 'unknown client') throw unknown();
    if (change === 'below zero') throw new Error(`${clientId} has fewer than ${-Number(amount)} credits: nothing changed`);
    console.log(`${clientId}: ${change.balance} credits`);
  });

registerModelCommands(program);
registerGenerateCommand(program);
registerReliefCommand(program);

program.exitOverride();
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  console.error(`depthmill: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
