// What every bench script reports with: the machine it ran on, and medians.
import { cpus, hostname } from 'node:os';

/** Host, cores, CPU model and Node version: the first line of every table a bench prints. */
export const MACHINE = `${hostname()}, ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}`;

/** The median (mean of the middle two for an even count; NaN for none). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
