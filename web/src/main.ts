// The Depthmill web UI: sign in with client credentials, drop a photo, choose options, watch the
// task, look at the depth map, its background cut (correctable with a subject box or a mask) and a
// 3D preview, download any format. It talks to the API with the same SDK as the command line
// (src/client), from this origin.
import './style.css';
import { DepthmillClient, DepthmillError, type OutputFormat, type TaskOptions, type TaskStatus } from '../../src/client/client.js';
import type { Colormap } from './colormaps.js';
import { CutView } from './cut-view.js';
import { decodeDepth, DepthView } from './depth-view.js';
import { applyFieldRules, loadFieldRules, readOptions } from './options.js';
import { ReliefView, webglAvailable } from './relief-view.js';

const CREDENTIALS_KEY = 'depthmill.credentials';
const MAX_BYTES = 20 * 1024 * 1024;
const ACCEPTED = new Set(['image/png', 'image/jpeg', 'image/webp']);
/** Signed links last an hour; older than this, ask for a fresh one before following it. */
const LINK_FRESH_MS = 50 * 60 * 1000;

const FORMATS: { format: OutputFormat; label: string; what: string }[] = [
  { format: 'png', label: 'PNG', what: '16-bit depth map' },
  { format: 'exr', label: 'EXR', what: 'float depth map' },
  { format: 'bmp', label: 'BMP', what: '8-bit depth map' },
  { format: 'stl', label: 'STL', what: 'relief for printing' },
  { format: 'glb', label: 'GLB', what: 'relief for 3D viewers' },
  { format: '3mf', label: '3MF', what: 'relief for slicers' },
];

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`missing #${id}`);
  return found as T;
}

const ui = {
  account: element('account'),
  accountName: element('account-name'),
  signOut: element<HTMLButtonElement>('sign-out'),
  signInSection: element('sign-in'),
  signInForm: element<HTMLFormElement>('sign-in-form'),
  signInButton: element<HTMLButtonElement>('sign-in-button'),
  signInError: element('sign-in-error'),
  clientId: element<HTMLInputElement>('client-id'),
  clientSecret: element<HTMLInputElement>('client-secret'),
  workspace: element('workspace'),
  dropZone: element('drop-zone'),
  photoInput: element<HTMLInputElement>('photo-input'),
  photoPreview: element<HTMLImageElement>('photo-preview'),
  photoName: element('photo-name'),
  options: element<HTMLFormElement>('options'),
  optionsError: element('options-error'),
  generate: element<HTMLButtonElement>('generate'),
  states: element('states'),
  status: element('status'),
  results: element('results'),
  depthImage: element<HTMLImageElement>('depth-image'),
  comparePhoto: element<HTMLImageElement>('compare-photo'),
  compare: element('compare'),
  compareSlider: element<HTMLInputElement>('compare-slider'),
  viewer: element('viewer'),
  exaggeration: element<HTMLInputElement>('exaggeration'),
  exaggerationValue: element<HTMLOutputElement>('exaggeration-value'),
  resetView: element<HTMLButtonElement>('reset-view'),
  downloads: element<HTMLUListElement>('downloads'),
  cut: element('cut'),
  maskToggle: element<HTMLButtonElement>('mask-toggle'),
  redoBox: element<HTMLButtonElement>('redo-box'),
  clearBox: element<HTMLButtonElement>('clear-box'),
  maskInput: element<HTMLInputElement>('mask-input'),
  redoMask: element<HTMLButtonElement>('redo-mask'),
  cutError: element('cut-error'),
};

let client: DepthmillClient | undefined;
let photo: File | undefined;
let running: AbortController | undefined;
/** A photo, the options, and the user's own mask if any: what a task is made from. */
interface Source {
  photo: File;
  options: Omit<TaskOptions, 'format'>;
  mask?: File;
}
/** The source of the result on screen: every download is made from it (subject box and mask included). */
let current: Source | undefined;
const depthView = new DepthView(ui.depthImage, ui.comparePhoto, ui.compare);
const cutView = new CutView({
  stage: element('mask-stage'),
  photo: element<HTMLImageElement>('mask-photo'),
  overlay: element<HTMLCanvasElement>('mask-overlay'),
  box: element('subject-box'),
  fields: [element<HTMLInputElement>('box-x0'), element<HTMLInputElement>('box-y0'), element<HTMLInputElement>('box-x1'), element<HTMLInputElement>('box-y1')],
});
let reliefView: ReliefView | undefined;

function messageOf(error: unknown): string {
  if (error instanceof DepthmillError) {
    if (error.code === 40010000) return 'Those credentials were refused: check the client ID and secret.';
    if (error.status === 401) return 'Your session ended: sign in again.';
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

// ---- signing in

function signedIn(next: DepthmillClient, clientId: string): void {
  client = next;
  ui.signInSection.hidden = true;
  ui.workspace.hidden = false;
  ui.account.hidden = false;
  ui.accountName.textContent = `Signed in as ${clientId}`;
  ui.photoInput.focus();
}

function signOut(): void {
  sessionStorage.removeItem(CREDENTIALS_KEY);
  running?.abort();
  client = undefined;
  ui.workspace.hidden = true;
  ui.account.hidden = true;
  ui.signInSection.hidden = false;
  ui.clientSecret.value = '';
  ui.clientId.focus();
}

ui.signInForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const clientId = ui.clientId.value.trim();
  const clientSecret = ui.clientSecret.value.trim();
  if (!clientId || !clientSecret) {
    ui.signInError.textContent = 'Enter both the client ID and the client secret.';
    (clientId ? ui.clientSecret : ui.clientId).focus();
    return;
  }
  ui.signInButton.disabled = true;
  ui.signInError.textContent = '';
  const candidate = new DepthmillClient({ baseUrl: location.origin, clientId, clientSecret });
  candidate
    .accessToken()
    .then(() => {
      sessionStorage.setItem(CREDENTIALS_KEY, JSON.stringify({ clientId, clientSecret }));
      signedIn(candidate, clientId);
    })
    .catch((error: unknown) => {
      ui.signInError.textContent = messageOf(error);
      ui.clientSecret.focus();
    })
    .finally(() => (ui.signInButton.disabled = false));
});

ui.signOut.addEventListener('click', signOut);

function restoreSession(): void {
  const saved = sessionStorage.getItem(CREDENTIALS_KEY);
  if (!saved) return;
  try {
    const { clientId, clientSecret } = JSON.parse(saved) as { clientId: string; clientSecret: string };
    signedIn(new DepthmillClient({ baseUrl: location.origin, clientId, clientSecret }), clientId);
  } catch {
    sessionStorage.removeItem(CREDENTIALS_KEY);
  }
}

// ---- the photo

function choosePhoto(file: File | undefined): void {
  if (!file) return;
  if (!ACCEPTED.has(file.type)) {
    ui.photoName.textContent = `${file.name} is not a png, jpeg or webp image.`;
    return;
  }
  if (file.size > MAX_BYTES) {
    ui.photoName.textContent = `${file.name} is larger than 20 MB.`;
    return;
  }
  photo = file;
  if (ui.photoPreview.src.startsWith('blob:')) URL.revokeObjectURL(ui.photoPreview.src);
  ui.photoPreview.src = URL.createObjectURL(file);
  ui.photoPreview.alt = `Chosen photo: ${file.name}`;
  ui.photoPreview.hidden = false;
  ui.photoName.textContent = `${file.name} (${(file.size / 1e6).toFixed(1)} MB)`;
  ui.generate.disabled = false;
  setStatus('Ready: choose options, then make the depth map.');
}

ui.photoInput.addEventListener('change', () => choosePhoto(ui.photoInput.files?.[0]));
for (const type of ['dragenter', 'dragover']) {
  ui.dropZone.addEventListener(type, (event) => {
    event.preventDefault();
    ui.dropZone.classList.add('dragging');
  });
}
for (const type of ['dragleave', 'drop']) ui.dropZone.addEventListener(type, () => ui.dropZone.classList.remove('dragging'));
ui.dropZone.addEventListener('drop', (event) => {
  event.preventDefault();
  choosePhoto(event.dataTransfer?.files[0]);
});

// ---- the task

function setStatus(text: string, failed = false): void {
  ui.status.textContent = text;
  ui.status.classList.toggle('error', failed);
}

function showState(state: TaskStatus['state'] | undefined): void {
  const order = ['created', 'queueing', 'processing', 'success'];
  const reached = state === undefined ? -1 : order.indexOf(state);
  for (const item of Array.from(ui.states.children) as HTMLElement[]) {
    const index = order.indexOf(item.dataset.state ?? '');
    item.classList.toggle('done', index < reached || state === 'success');
    item.classList.toggle('current', index === reached && state !== 'success');
    if (index === reached) item.setAttribute('aria-current', 'step');
    else item.removeAttribute('aria-current');
  }
}

async function runTask(format: OutputFormat, source: Source, signal: AbortSignal, onState?: (task: TaskStatus) => void) {
  if (!client) throw new Error('sign in first');
  const mask = source.mask ? { mask: source.mask, maskFilename: source.mask.name } : {};
  const taskId = await client.createTask({ file: source.photo, filename: source.photo.name, format, ...source.options, ...mask }, { signal });
  return client.waitForTask(taskId, { signal, ...(onState ? { onProgress: onState } : {}) });
}

ui.options.addEventListener('submit', (event) => {
  event.preventDefault();
  void generate();
});

async function generate(): Promise<void> {
  if (!client || !photo) return;
  const read = readOptions(ui.options);
  if ('problem' in read) {
    ui.optionsError.textContent = read.problem;
    read.control.focus();
    return;
  }
  ui.optionsError.textContent = '';
  await makeDepthMap({ photo, options: read.options });
}

/** Runs a PNG task for this source and shows its result; what the Make and Redo buttons do. */
async function makeDepthMap(source: Source): Promise<void> {
  if (!client) return;
  running?.abort();
  const controller = new AbortController();
  running = controller;
  ui.generate.disabled = true;
  ui.redoBox.disabled = ui.redoMask.disabled = true;
  ui.cutError.textContent = '';
  showState(undefined);
  setStatus('Sending the photo…');
  const started = performance.now();
  try {
    const task = await runTask('png', source, controller.signal, (progress) => {
      showState(progress.state);
      setStatus(`Task ${progress.taskId}: ${progress.state}…`);
    });
    setStatus('Downloading the depth map…');
    const bytes = await client.download(task, { signal: controller.signal });
    const depth = new Blob([new Uint8Array(bytes)], { type: 'image/png' });
    const { pixels } = await decodeDepth(depth);
    current = source;
    ui.results.hidden = false;
    await depthView.show(source.photo, depth, pixels);
    showCut(source, pixels);
    showRelief(pixels, source.options);
    resetDownloads({ format: 'png', url: task.url, taskId: task.taskId, at: Date.now() });
    showState('success');
    setStatus(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s: the depth map is below (near is bright).`);
  } catch (error) {
    if (controller.signal.aborted) return;
    showState(undefined);
    setStatus(messageOf(error), true);
    if (error instanceof DepthmillError && error.status === 401) signOut();
  } finally {
    if (running === controller) running = undefined;
    ui.generate.disabled = false;
    updateRedoButtons();
  }
}

// ---- the background cut, and the user's corrections: a subject box or a mask of their own

function showCut(source: Source, pixels: Awaited<ReturnType<typeof decodeDepth>>['pixels']): void {
  // Only a result with its background removed has a cut to show or correct.
  ui.cut.hidden = source.options.rmbg === false;
  if (ui.cut.hidden) return;
  cutView.show(source.photo, pixels);
  cutView.setBox(source.options.subjectBox);
}

function updateRedoButtons(): void {
  const idle = running === undefined && current !== undefined;
  ui.redoBox.disabled = !idle || cutView.box === undefined;
  ui.redoMask.disabled = !idle || !ui.maskInput.files?.[0];
}

cutView.onChange = updateRedoButtons;

ui.maskToggle.addEventListener('click', () => {
  const visible = ui.maskToggle.getAttribute('aria-pressed') !== 'true';
  ui.maskToggle.setAttribute('aria-pressed', String(visible));
  cutView.setOverlayVisible(visible);
});

ui.clearBox.addEventListener('click', () => cutView.setBox(undefined));

ui.redoBox.addEventListener('click', () => {
  const box = cutView.box;
  if (!current || !box) return;
  // The box replaces the mask model's guess alone: a mask of one's own would override it.
  const { mask: _mask, ...rest } = current;
  void makeDepthMap({ ...rest, options: { ...current.options, subjectBox: box } });
});

ui.maskInput.addEventListener('change', () => {
  const file = ui.maskInput.files?.[0];
  ui.cutError.textContent = '';
  if (file && !ACCEPTED.has(file.type)) ui.cutError.textContent = `${file.name} is not a png, jpeg or webp image.`;
  else if (file && file.size > MAX_BYTES) ui.cutError.textContent = `${file.name} is larger than 20 MB.`;
  if (ui.cutError.textContent) ui.maskInput.value = '';
  updateRedoButtons();
});

ui.redoMask.addEventListener('click', () => {
  const mask = ui.maskInput.files?.[0];
  if (!current || !mask) return;
  const { subjectBox: _box, ...options } = current.options;
  void makeDepthMap({ photo: current.photo, options, mask });
});

// ---- result views

function showRelief(pixels: Awaited<ReturnType<typeof decodeDepth>>['pixels'], options: Omit<TaskOptions, 'format'>): void {
  if (!webglAvailable()) {
    ui.viewer.textContent = 'The 3D preview needs WebGL, which this browser does not offer; the downloads still work.';
    return;
  }
  reliefView ??= new ReliefView(ui.viewer);
  reliefView.show(pixels, {
    width: options.width ?? 40,
    heightRelief: options.heightRelief ?? 1.3,
    thicknessBase: options.thicknessBase ?? 1,
    shapeBase: options.shapeBase ?? 'square',
    sculpmode: options.sculpmode ?? 'emboss',
  });
  reliefView.setExaggeration(Number(ui.exaggeration.value));
}

for (const button of Array.from(document.querySelectorAll<HTMLButtonElement>('[data-colormap]'))) {
  button.addEventListener('click', () => {
    for (const other of Array.from(document.querySelectorAll<HTMLButtonElement>('[data-colormap]'))) other.setAttribute('aria-pressed', String(other === button));
    void depthView.setColormap(button.dataset.colormap as Colormap);
  });
}

ui.compareSlider.addEventListener('input', () => depthView.setSplit(Number(ui.compareSlider.value)));
depthView.setSplit(Number(ui.compareSlider.value));

ui.exaggeration.addEventListener('input', () => {
  ui.exaggerationValue.textContent = `${ui.exaggeration.value}×`;
  reliefView?.setExaggeration(Number(ui.exaggeration.value));
});
ui.resetView.addEventListener('click', () => reliefView?.resetView());

// ---- downloads: PNG comes with the result; every other format is made when asked for

interface Ready {
  format: OutputFormat;
  url: string;
  taskId: string;
  at: number;
}

function fileName(format: OutputFormat): string {
  const stem = (current?.photo.name ?? 'photo').replace(/\.[^.]+$/, '');
  return ['stl', 'glb', '3mf'].includes(format) ? `${stem}.${format}` : `${stem}.depth.${format}`;
}

function downloadLink(ready: Ready, label: string): HTMLAnchorElement {
  const link = document.createElement('a');
  link.href = ready.url;
  link.download = fileName(ready.format);
  link.className = 'button';
  link.dataset.format = ready.format;
  link.textContent = `Download ${label}`;
  link.addEventListener('click', (event) => {
    if (Date.now() - ready.at < LINK_FRESH_MS || !client) return;
    // The link may have expired: ask for a fresh one, then follow it.
    event.preventDefault();
    void client.queryTask(ready.taskId).then((task) => {
      if (!task.url) return;
      ready.url = link.href = task.url;
      ready.at = Date.now();
      link.click();
    });
  });
  return link;
}

function resetDownloads(png: Ready): void {
  ui.downloads.replaceChildren();
  for (const { format, label, what } of FORMATS) {
    const item = document.createElement('li');
    const name = document.createElement('span');
    name.className = 'format';
    name.textContent = `${label}: ${what}`;
    const note = document.createElement('span');
    note.className = 'note';
    note.setAttribute('aria-live', 'polite');
    item.append(name);
    if (format === png.format) {
      item.append(downloadLink(png, label));
    } else {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'secondary';
      button.dataset.format = format;
      button.textContent = `Make ${label}`;
      button.addEventListener('click', () => void makeFormat(format, label, button, note));
      item.append(button);
    }
    item.append(note);
    ui.downloads.append(item);
  }
}

async function makeFormat(format: OutputFormat, label: string, button: HTMLButtonElement, note: HTMLElement): Promise<void> {
  if (!current) return;
  button.disabled = true;
  note.classList.remove('error');
  note.textContent = 'making…';
  try {
    const task = await runTask(format, current, new AbortController().signal, (progress) => (note.textContent = `${progress.state}…`));
    const link = downloadLink({ format, url: task.url, taskId: task.taskId, at: Date.now() }, label);
    button.replaceWith(link);
    note.textContent = 'ready';
    link.focus();
  } catch (error) {
    note.textContent = messageOf(error);
    note.classList.add('error');
    button.disabled = false;
    button.textContent = `Try ${label} again`;
  }
}

// ---- start

restoreSession();
loadFieldRules()
  .then((rules) => applyFieldRules(ui.options, rules))
  .catch((error: unknown) => (ui.optionsError.textContent = `Options could not be loaded: ${messageOf(error)}`));
