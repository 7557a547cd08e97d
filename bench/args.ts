// Command-line options of the bench scripts (after npm's `--`), parsed by node:util's parseArgs in
// strict mode: an unknown or misspelt option stops the script with parseArgs' own message instead
// of being ignored. Each script names its options once; `--help` is always one.
import { parseArgs } from 'node:util';

export interface BenchArgs {
  /** The value of `--name`, or undefined when it was not given. */
  option(name: `--${string}`): string | undefined;
  flag(name: `--${string}`): boolean;
}

export function benchArgs(spec: { values?: readonly string[]; flags?: readonly string[] }): BenchArgs {
  const options = Object.fromEntries([
    ...(spec.values ?? []).map((name) => [name, { type: 'string' as const }]),
    ...['help', ...(spec.flags ?? [])].map((name) => [name, { type: 'boolean' as const }]),
  ]);
  const args = process.argv.slice(2).filter((arg) => arg !== '--');
  const values: Record<string, unknown> = parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  return {
    option: (name) => {
      const value = values[name.slice(2)];
      return typeof value === 'string' ? value : undefined;
    },
    flag: (name) => values[name.slice(2)] === true,
  };
}
