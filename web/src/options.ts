// The option controls take their defaults and ranges from the server's own OpenAPI document, which
// is generated from the schema that validates create-task, and are read as the table of fields
// (contract/fields.ts) says: the page never restates a field's values, range or default.
import type { TaskSettings } from '@depthmill/client';
import { choiceValues, isRead, PARAM_FIELDS, paramValue, type ParamRow } from '@depthmill/client/contract';

export interface FieldRule {
  default?: string;
  enum?: string[];
  'x-minimum'?: number;
  'x-maximum'?: number;
  /** File fields: the server's upload limit (DEPTHMILL_MAX_IMAGE_BYTES). */
  'x-max-bytes'?: number;
}

export async function loadFieldRules(): Promise<Record<string, FieldRule>> {
  const response = await fetch('/openapi.json');
  if (!response.ok) throw new Error(`could not load the API description (HTTP ${response.status})`);
  const document = (await response.json()) as { components: { schemas: { CreateTaskForm: { properties: Record<string, FieldRule> } } } };
  return document.components.schemas.CreateTaskForm.properties;
}

export function applyFieldRules(form: HTMLFormElement, rules: Record<string, FieldRule>): void {
  for (const [name, rule] of Object.entries(rules)) {
    const control = form.elements.namedItem(name);
    if (control instanceof HTMLInputElement && control.type === 'number') {
      if (rule['x-minimum'] !== undefined) control.min = String(rule['x-minimum']);
      if (rule['x-maximum'] !== undefined) control.max = String(rule['x-maximum']);
      if (rule.default !== undefined) control.value = rule.default;
    } else if (control instanceof HTMLInputElement && control.type === 'checkbox') {
      control.checked = rule.default === '1';
    } else if (control instanceof HTMLSelectElement && rule.default !== undefined) {
      control.value = rule.default;
    }
  }
}

/** The fields that shape the depth map itself (contract/fields.ts): a change to one needs the model run again. */
const DEPTH_ROWS = PARAM_FIELDS.filter((row) => row.applies === 'depth');
export const DEPTH_FIELDS = new Set<string>(DEPTH_ROWS.map((row) => row.name));
type DepthParam = Extract<ParamRow, { applies: 'depth' }>['param'];

/** The relief options of a set of task options (everything but the depth map's own). */
export function reliefOptions(options: TaskSettings): Omit<TaskSettings, DepthParam> {
  const depth = new Set<string>(DEPTH_ROWS.map((row) => row.param));
  return Object.fromEntries(Object.entries(options).filter(([key]) => !depth.has(key))) as Omit<TaskSettings, DepthParam>;
}

/** A field's control in the form (named as the field), if the form has one. */
function controlOf(form: HTMLFormElement, name: string): HTMLInputElement | HTMLSelectElement | undefined {
  const control = form.elements.namedItem(name);
  return control instanceof HTMLInputElement || control instanceof HTMLSelectElement ? control : undefined;
}

/** A label's first words: "Thickest" of "Thickest, at the darkest (mm)". */
function shortLabel(form: HTMLFormElement, name: string): string {
  return (form.querySelector(`label[for="${name}"]`)?.textContent ?? name).split(/[,(]/)[0]!.trim();
}

/**
 * The form as SDK task options (without the format), or the first problem in words. Each field of
 * the table with a control here is read as its row says: a choice's value, a checkbox as yes/no, a
 * number (left empty, the server's default applies); fields that apply only with another's value
 * (the lithophane's) only then.
 */
export function readOptions(form: HTMLFormElement): { options: TaskSettings } | { problem: string; control: HTMLElement } {
  for (const element of Array.from(form.elements)) {
    if (element instanceof HTMLInputElement && !element.checkValidity()) {
      const label = form.querySelector(`label[for="${element.id}"]`)?.textContent ?? element.name;
      const range = element.min && element.max ? ` from ${element.min} to ${element.max}` : '';
      return { problem: `${label}: enter a number${range}.`, control: element };
    }
  }
  const textOf = (name: string): string | undefined => {
    const control = controlOf(form, name);
    const row = PARAM_FIELDS.find((candidate) => candidate.name === name);
    if (!control || !row) return undefined;
    if (control instanceof HTMLInputElement && control.type === 'checkbox' && row.type.kind === 'choice') {
      return choiceValues(row.type).find(([, value]) => value === control.checked)?.[0];
    }
    return control.value === '' ? undefined : control.value;
  };
  const options: Record<string, unknown> = {};
  for (const row of PARAM_FIELDS) {
    const text = textOf(row.name);
    if (text === undefined || !isRead(row, textOf)) continue;
    const value = row.type.kind === 'decimal' ? Number(text) : paramValue(row, text);
    if (value !== undefined) options[row.param] = value;
  }
  for (const row of PARAM_FIELDS) {
    if (!('above' in row) || options[row.param] === undefined) continue;
    const floor = PARAM_FIELDS.find((candidate) => candidate.name === row.above)!;
    if (options[floor.param] !== undefined && !((options[row.param] as number) > (options[floor.param] as number))) {
      return {
        problem: `${shortLabel(form, row.name)} must be more than ${shortLabel(form, floor.name).toLowerCase()}.`,
        control: controlOf(form, row.name)!,
      };
    }
  }
  return { options: options as TaskSettings };
}
