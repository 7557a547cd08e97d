// Command-line options of the bench scripts: `--name value` pairs and `--flag`s, after npm's `--`.

export const args = process.argv.slice(2).filter((arg) => arg !== '--');

/** The value after `--name`, or undefined when it was not given. */
export function option(name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

export function flag(name: string): boolean {
  return args.includes(name);
}
