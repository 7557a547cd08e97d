// The create-task options as clients name them (the SDK's TaskOptions) and the one mapping from
// them to the form fields (all strings, API.md): the SDK, the command line and the web UI send
// what this makes, and the server's schema (create-task-schema.ts) reads it back. Both are derived
// from the table of fields (fields.ts): an option there is an option here.
import { choiceValues, isRead, PARAM_FIELDS, type FieldRow, type ParamRow, type ParamValue, type SubjectBox } from './fields.js';
import { formatCodeList, OUTPUT_FORMAT_TABLE } from './formats.js';
import type { FormatCode, OutputFormat, TaskParams } from './task.js';

/** A field with a single value is no option: the server's is the only one. */
type FixedRow = Extract<ParamRow, { type: { kind: 'choice'; values: readonly [string] } }>;
type OptionRow = Exclude<ParamRow, FixedRow>;
/** An option's value: a choice's meaning, a number, the box; the format by name or API code. */
type OptionValue<R> = R extends { type: { kind: 'formatCode' } } ? OutputFormat | FormatCode : ParamValue<R>;

/** One object type, not an intersection (clearer in an editor, and equal to a written-out interface). */
type Flat<T> = { [K in keyof T]: T[K] };

/**
 * What the task should produce, in the names of the table of fields (API.md, contract/fields.ts):
 * the output format (a name like stl, or the API's code) is required; every other option has the
 * server's default.
 */
export type TaskOptions = Flat<
  { [R in Extract<OptionRow, { required: true }> as R['param']]: OptionValue<R> } & {
    [R in Exclude<OptionRow, { required: true }> as R['param']]?: OptionValue<R>;
  }
>;

/** The options less the output format: what a task is made with, whatever it outputs. */
export type TaskSettings = Omit<TaskOptions, Extract<OptionRow, { type: { kind: 'formatCode' } }>['param']>;

/** The table's option rows (every row with a name in the code, less the fixed ones). */
const OPTION_FIELDS = PARAM_FIELDS.filter((row) => !(row.type.kind === 'choice' && choiceValues(row.type).length === 1));

/**
 * TaskOptions as a command line has them: numbers (and the box) may still be the text the user
 * typed, which the server's schema then checks exactly as it checks any client's.
 */
export type TaskFieldValues = Flat<
  { [R in Extract<OptionRow, { required: true }> as R['param']]: TypedValue<R> } & {
    [R in Exclude<OptionRow, { required: true }> as R['param']]?: TypedValue<R>;
  }
>;
type TypedValue<R> = R extends { type: { kind: 'decimal' | 'box' } } ? OptionValue<R> | string : OptionValue<R>;

function formatCode(format: OutputFormat | FormatCode): string {
  const row = OUTPUT_FORMAT_TABLE.find((candidate) => candidate.code === format || candidate.name === format);
  if (!row) throw new RangeError(`unknown format ${JSON.stringify(format)}: use one of ${formatCodeList()}`);
  return String(row.code);
}

/** A number as the API's decimal fields take it: plain digits, never an exponent. */
function decimalText(value: number | string): string {
  if (typeof value === 'string') return value;
  const text = String(value);
  return /e/i.test(text) ? value.toFixed(6).replace(/\.?0+$/, '') : text;
}

/** An option's value as its form field's text; a value the field does not know is sent as it is, for the server to refuse. */
function fieldText(row: FieldRow, value: unknown): string {
  switch (row.type.kind) {
    case 'choice':
      return choiceValues(row.type).find(([, meaning]) => meaning === value)?.[0] ?? String(value);
    case 'formatCode':
      return formatCode(value as OutputFormat | FormatCode);
    case 'decimal':
      return decimalText(value as number | string);
    case 'box':
      return typeof value === 'string' ? value : (value as SubjectBox).map(decimalText).join(',');
    default:
      return String(value);
  }
}

/**
 * The create-task form fields (all strings, API.md) for these options; unset ones are left to the
 * server. The one mapping from options to fields: the SDK, the command line and the web UI use it.
 */
export function taskFields(options: TaskFieldValues): Record<string, string> {
  const values = options as Record<string, unknown>;
  const fields: Record<string, string> = {};
  for (const row of OPTION_FIELDS) {
    if (values[row.param] !== undefined) fields[row.name] = fieldText(row, values[row.param]);
  }
  return fields;
}

/** The options a task was made with, as a client would send them again (the command line's --server). */
export function taskOptionsOf(params: TaskParams): TaskSettings {
  const values = params as unknown as Record<string, unknown>;
  const textOf = (name: string) => {
    const row = PARAM_FIELDS.find((candidate) => candidate.name === name);
    return row && values[row.param] !== undefined ? fieldText(row, values[row.param]) : undefined;
  };
  const options: Record<string, unknown> = {};
  for (const row of OPTION_FIELDS) {
    if (row.type.kind !== 'formatCode' && values[row.param] !== undefined && isRead(row, textOf)) options[row.param] = values[row.param];
  }
  return options as TaskSettings;
}
