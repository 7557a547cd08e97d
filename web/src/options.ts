// The option controls take their defaults and ranges from the server's own OpenAPI document, which
// is generated from the schema that validates create-task: the page never restates them.
import type { TaskOptions } from '../../src/client/client.js';

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

/** The controls that shape the depth map itself: a change to one needs the model run again. */
export const DEPTH_FIELDS = new Set(['model_type', 'rmbg', 'degree_rmbg']);

/** The relief options of a set of task options (everything but the depth map's own). */
export function reliefOptions(options: Omit<TaskOptions, 'format'>): Omit<TaskOptions, 'format' | 'modelType' | 'rmbg' | 'degreeRmbg' | 'subjectBox'> {
  const { modelType: _model, rmbg: _rmbg, degreeRmbg: _degree, subjectBox: _box, ...relief } = options;
  return relief;
}

/** The form as SDK task options (without the format), or the first problem in words. */
export function readOptions(form: HTMLFormElement): { options: Omit<TaskOptions, 'format'> } | { problem: string; control: HTMLElement } {
  for (const element of Array.from(form.elements)) {
    if (element instanceof HTMLInputElement && !element.checkValidity()) {
      const label = form.querySelector(`label[for="${element.id}"]`)?.textContent ?? element.name;
      const range = element.min && element.max ? ` from ${element.min} to ${element.max}` : '';
      return { problem: `${label}: enter a number${range}.`, control: element };
    }
  }
  const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement).value;
  const number = (name: string) => {
    const text = value(name);
    return text === '' ? undefined : Number(text);
  };
  const options: Omit<TaskOptions, 'format'> = {
    modelType: value('model_type') as 'pro' | 'base',
    rmbg: (form.elements.namedItem('rmbg') as HTMLInputElement).checked,
    shapeBase: value('shape_base') === '1' ? 'circle' : 'square',
    sculpmode: value('sculpmode') === '1' ? 'engrave' : 'emboss',
    reliefStyle: value('relief_style') === 'smooth' ? 'smooth' : 'detailed',
  };
  // Number fields by form name; left empty, the server's default applies.
  const numbers = { degree_rmbg: 'degreeRmbg', width: 'width', height_relief: 'heightRelief', thickness_base: 'thicknessBase', detail_height: 'detailHeight', relief_detail: 'reliefDetail', relief_smooth: 'reliefSmooth', min_feature: 'minFeature' } as const;
  const lithoNumbers = { litho_min: 'lithoMin', litho_max: 'lithoMax', litho_frame: 'lithoFrame' } as const;
  const lithophane = value('relief_mode') === 'lithophane';
  if (lithophane) options.reliefMode = 'lithophane';
  for (const [name, key] of Object.entries({ ...numbers, ...(lithophane ? lithoNumbers : {}) })) {
    const read = number(name);
    if (read !== undefined) options[key] = read;
  }
  if (lithophane && options.lithoMin !== undefined && options.lithoMax !== undefined && !(options.lithoMax > options.lithoMin)) {
    return { problem: 'Thickest must be more than thinnest.', control: form.elements.namedItem('litho_max') as HTMLElement };
  }
  return { options };
}
