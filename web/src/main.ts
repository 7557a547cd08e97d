// The Depthmill web UI: sign in with client credentials, drop a photo, choose options, watch the
// task, look at the depth map, its background cut (correctable with a subject box or a mask) and a
// 3D preview that is the server's own mesh, download any format. It talks to the API with the same
// SDK as the command line (@depthmill/client), from this origin.
import './style.css';
import {
  DepthmillClient,
  DepthmillError,
  type CreateTaskInput,
  type FinishedTask,
  type OutputFormat,
  type TaskSettings,
  type TaskStatus,
} from '@depthmill/client';
import type { Colormap } from './colormaps.js';
import { formatExtension, formatInfo, FORMATS_BY_KIND, isMeshFormat, MESH_FORMATS } from '@depthmill/client/contract';
import { taskKind } from '../../src/contract/task-kind.js';
import { CutView } from './cut-view.js';
import { decodeDepth, DepthView } from './depth-view.js';
import { NormalView } from './normal-view.js';
import { BacklitView } from './backlit-view.js';
import { applyFieldRules, DEPTH_FIELDS, loadFieldRules, readOptions, reliefOptions } from './options.js';
import { ReliefView, webglAvailable } from './relief-view.js';

const CREDENTIALS_KEY = 'depthmill.credentials';
/** The server's upload limit, from its OpenAPI document once loaded (20 MB is its default). */
let maxBytes = 20 * 1024 * 1024;

function sizeText(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
}
const ACCEPTED = new Set(['image/png', 'image/jpeg', 'image/webp']);
/** Signed links last an hour; older than this, ask for a fresh one before following it. */
const LINK_FRESH_MS = 50 * 60 * 1000;

/** Options typed after a result reach the preview after this pause (one task per pause, not per key). */
const PREVIEW_DELAY_MS = 500;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`missing #${id}`);
  return found as T;
}

const ui = {
  modelHint: element('model-hint'),
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
  progress: element<HTMLProgressElement>('progress'),
  status: element('status'),
  results: element('results'),
  depthImage: element<HTMLImageElement>('depth-image'),
  comparePhoto: element<HTMLImageElement>('compare-photo'),
  compare: element('compare'),
  compareSlider: element<HTMLInputElement>('compare-slider'),
  viewer: element('viewer'),
  previewStatus: element('preview-status'),
  reliefFields: element<HTMLFieldSetElement>('relief-fields'),
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
  options: TaskSettings;
  mask?: File;
  /** The depth map made from it (PNG, alpha = the cut): reliefs are made from this, not the model again. */
  depthPng?: Blob;
}
/** The source of the result on screen: every download is made from it (subject box and mask included). */
let current: Source | undefined;
const depthView = new DepthView(ui.depthImage, ui.comparePhoto, ui.compare);
const cutView = new CutView({
  stage: element('mask-stage'),
  photo: element<HTMLImageElement>('mask-photo'),
  overlay: element<HTMLCanvasElement>('mask-overlay'),
  box: element('subject-box'),
  fields: [
    element<HTMLInputElement>('box-x0'),
    element<HTMLInputElement>('box-y0'),
    element<HTMLInputElement>('box-x1'),
    element<HTMLInputElement>('box-y1'),
  ],
});
let reliefView: ReliefView | undefined;
const normalView = new NormalView(element('normal-preview'), element<HTMLImageElement>('normal-image'));
const backlitView = new BacklitView(element('backlit-preview'), element<HTMLCanvasElement>('backlit-canvas'));
/** The preview task under way, if any: a newer option aborts it. */
let previewRun: AbortController | undefined;
let previewTimer: ReturnType<typeof setTimeout> | undefined;

function messageOf(error: unknown): string {
  if (error instanceof DepthmillError) {
    if (error.code === 40010000) return 'Those credentials were refused: check the client ID and secret.';
    if (error.status === 401) return 'Your session ended: sign in again.';
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

// ---- signing in

/** What the tab keeps to stay signed in: credentials, or a sign-in link's token (it lasts 24 hours). */
type Session = { clientId: string; clientSecret: string } | { clientId: string; accessToken: string };

function signedIn(next: DepthmillClient, clientId: string): void {
  client = next;
  ui.signInSection.hidden = true;
  ui.workspace.hidden = false;
  ui.account.hidden = false;
  ui.accountName.textContent = `Signed in as ${clientId}`;
  ui.photoInput.focus();
  showModelHint(next);
}

/** The server's one line while a much better depth model is a command away (none from older servers). */
function showModelHint(from: DepthmillClient): void {
  from
    .depthModels()
    .then(({ hint }) => {
      ui.modelHint.textContent = hint ? `${hint}.` : '';
      ui.modelHint.hidden = !hint;
    })
    .catch(() => (ui.modelHint.hidden = true));
}

function signOut(): void {
  sessionStorage.removeItem(CREDENTIALS_KEY);
  ui.modelHint.hidden = true;
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
      sessionStorage.setItem(CREDENTIALS_KEY, JSON.stringify({ clientId, clientSecret } satisfies Session));
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
    const session = JSON.parse(saved) as Session;
    signedIn(new DepthmillClient({ baseUrl: location.origin, ...session }), session.clientId);
  } catch {
    sessionStorage.removeItem(CREDENTIALS_KEY);
  }
}

/**
 * The sign-in link the server prints on loopback (`/#signin=<secret>`): its one-time secret is
 * traded for a token and the fragment leaves the address bar at once, so neither a reload nor the
 * history holds a secret (spent or not). True when the page was opened with one.
 */
function signInWithLink(): boolean {
  const secret = new URLSearchParams(location.hash.slice(1)).get('signin');
  if (!secret) return false;
  const link = location.href;
  history.replaceState(null, '', location.pathname + location.search);
  ui.signInButton.disabled = true;
  DepthmillClient.fromSignInLink(link)
    .then((signed) => {
      const clientId = signed.clientId ?? 'the web UI client';
      signed
        .accessToken()
        .then((accessToken) => sessionStorage.setItem(CREDENTIALS_KEY, JSON.stringify({ clientId, accessToken } satisfies Session)))
        .catch(() => undefined);
      signedIn(signed, clientId);
    })
    .catch((error: unknown) => {
      ui.signInError.textContent =
        error instanceof DepthmillError && error.status === 401
          ? 'That sign-in link was used already, or is from an earlier start of the server: open the link the server printed at its latest start (restart it for a fresh one), or sign in with client credentials.'
          : messageOf(error);
      restoreSession();
    })
    .finally(() => (ui.signInButton.disabled = false));
  return true;
}

// ---- the photo

function choosePhoto(file: File | undefined): void {
  if (!file) return;
  if (!ACCEPTED.has(file.type)) {
    ui.photoName.textContent = `${file.name} is not a png, jpeg or webp image.`;
    return;
  }
  if (file.size > maxBytes) {
    ui.photoName.textContent = `${file.name} is larger than ${sizeText(maxBytes)}.`;
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

/** "processing 45 %": the state, and how far the work is when the server says. */
function describe(task: TaskStatus): string {
  return task.state === 'processing' && task.progress !== undefined ? `processing ${task.progress} %` : task.state;
}

function showProgress(task: TaskStatus | undefined): void {
  ui.progress.value = task?.state === 'success' ? 100 : (task?.progress ?? 0);
  ui.progress.hidden = task === undefined;
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

async function runTask(input: CreateTaskInput, signal: AbortSignal, onState?: (task: TaskStatus) => void): Promise<FinishedTask> {
  if (!client) throw new Error('sign in first');
  const taskId = await client.createTask(input, { signal });
  return client.waitForTask(taskId, { signal, ...(onState ? { onProgress: onState } : {}) });
}

/** A depth-map task (png, exr, bmp): the source's photo with the options and corrections of its result. */
function depthInput(format: OutputFormat, source: Source): CreateTaskInput {
  const mask = source.mask ? { mask: source.mask, maskFilename: source.mask.name } : {};
  return { file: source.photo, filename: source.photo.name, format, ...source.options, ...mask };
}

/**
 * A relief task (stl, glb, 3mf; the preview is its glb) for the relief options on screen. The
 * detailed style carves the photo's own detail, so it is made from the photo with the result's
 * options and corrections (the model runs again). The smooth style is made from the result's own
 * depth map: the model does not run again, and the PNG holds the depth the photo gives (16 bits)
 * with the cut as its alpha, so the mesh is the one the photo would give. A lithophane is made from
 * the photo: its light is the height.
 */
function reliefInput(format: OutputFormat, source: Source): CreateTaskInput | { problem: string; control: HTMLElement } {
  const read = readOptions(ui.options);
  if ('problem' in read) return read;
  const relief = reliefOptions(read.options);
  const photo = { file: source.photo, filename: source.photo.name, format, ...relief };
  if (relief.lithoColor && format !== '3mf') {
    // Said here rather than sent: the server would refuse it (only 3MF carries coloured parts).
    const control = ui.options.elements.namedItem('litho_color') as HTMLElement;
    return { problem: 'A colour lithophane is a 3MF only: its four coloured parts need it. Make the 3MF.', control };
  }
  if (taskKind({ format, ...relief }) === 'lithophane') return photo;
  if (relief.reliefStyle !== 'smooth') return { ...depthInput(format, source), ...relief };
  if (!source.depthPng) return photo;
  return { depthMap: source.depthPng, depthMapFilename: fileName('png'), format, rmbg: source.options.rmbg ?? true, ...relief };
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

// ---- options changed after a result: the next preview and downloads use them

function showReliefMode(): void {
  ui.reliefFields.dataset.mode = (ui.options.elements.namedItem('relief_mode') as HTMLSelectElement).value;
}

ui.options.addEventListener('input', (event) => {
  const name = (event.target as HTMLInputElement).name;
  if (name === 'relief_mode') showReliefMode();
  if (!current || DEPTH_FIELDS.has(name)) return;
  // The meshes made so far are for the old options: offer them anew, and remake the preview once
  // the typing pauses.
  previewRun?.abort();
  resetMeshDownloads();
  clearTimeout(previewTimer);
  previewTimer = setTimeout(() => void refreshPreview(), PREVIEW_DELAY_MS);
});

ui.options.addEventListener('change', (event) => {
  const name = (event.target as HTMLInputElement).name;
  if (!current || !DEPTH_FIELDS.has(name)) return;
  const read = readOptions(ui.options);
  if ('problem' in read) return;
  // The depth map itself depends on this option: it is made again, with the result's box and mask.
  const { subjectBox } = current.options;
  void makeDepthMap({
    photo: current.photo,
    options: { ...read.options, ...(subjectBox ? { subjectBox } : {}) },
    ...(current.mask ? { mask: current.mask } : {}),
  });
});

/** Runs a PNG task for this source and shows its result; what the Make and Redo buttons do. */
async function makeDepthMap(source: Source): Promise<void> {
  if (!client) return;
  running?.abort();
  previewRun?.abort();
  clearTimeout(previewTimer);
  const controller = new AbortController();
  running = controller;
  ui.generate.disabled = true;
  ui.redoBox.disabled = ui.redoMask.disabled = true;
  ui.cutError.textContent = '';
  showState(undefined);
  showProgress(undefined);
  setStatus('Sending the photo…');
  const started = performance.now();
  try {
    const task = await runTask(depthInput('png', source), controller.signal, (progress) => {
      showState(progress.state);
      showProgress(progress);
      setStatus(`Task ${progress.taskId}: ${describe(progress)}…`);
    });
    setStatus('Downloading the depth map…');
    const bytes = await client.download(task, { signal: controller.signal });
    const depth = new Blob([new Uint8Array(bytes)], { type: 'image/png' });
    const { pixels } = await decodeDepth(depth);
    current = { ...source, depthPng: depth };
    ui.results.hidden = false;
    await depthView.show(source.photo, depth, pixels);
    showCut(source, pixels);
    resetDownloads({ format: 'png', url: task.url, taskId: task.taskId, at: Date.now() });
    void refreshPreview();
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
  else if (file && file.size > maxBytes) ui.cutError.textContent = `${file.name} is larger than ${sizeText(maxBytes)}.`;
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

/** Makes the relief for the options on screen (a GLB task) and shows that mesh; it is also the GLB download. */
async function refreshPreview(): Promise<void> {
  if (!client || !current) return;
  if (!webglAvailable()) {
    ui.viewer.textContent = 'The 3D preview needs WebGL, which this browser does not offer; the downloads still work.';
    return;
  }
  // A colour lithophane is a 3MF of coloured parts (no GLB of it): its preview is that 3MF seen back-lit.
  const threemf = reliefInput('3mf', current);
  const colour = !('problem' in threemf) && 'lithoColor' in threemf && threemf.lithoColor === true;
  const input = colour ? threemf : reliefInput('glb', current);
  ui.previewStatus.classList.remove('error');
  if ('problem' in input) {
    ui.previewStatus.textContent = `No preview: ${input.problem}`;
    ui.previewStatus.classList.add('error');
    return;
  }
  previewRun?.abort();
  const controller = new AbortController();
  previewRun = controller;
  ui.previewStatus.textContent = colour ? 'Making the colour lithophane…' : 'Making the relief…';
  ui.viewer.hidden = colour;
  if (!colour) backlitView.hide();
  try {
    const task = await runTask(input, controller.signal);
    const bytes = await client.download(task, { signal: controller.signal });
    if (colour) {
      if (controller.signal.aborted) return;
      backlitView.show(bytes);
      const triangles = task.mesh?.triangles ?? 0;
      ui.previewStatus.textContent = `The 3MF the download gives: ${triangles.toLocaleString('en')} triangles in ${task.mesh?.shells ?? 4} coloured parts, stacked.`;
      setDownload('3mf', { format: '3mf', url: task.url, taskId: task.taskId, at: Date.now() });
      return;
    }
    reliefView ??= new ReliefView(ui.viewer);
    // A bent relief stands (Z is the picture's up): it is shown so, and the relief scale, which
    // stretches Z (the relief's height when it lies flat), would only stretch the picture: it is off.
    const bent = 'reliefBend' in input && Boolean(input.reliefBend);
    const triangles = await reliefView.show(bytes.slice().buffer, { standing: bent });
    if (controller.signal.aborted) return;
    ui.exaggeration.disabled = bent;
    reliefView.setExaggeration(bent ? 1 : Number(ui.exaggeration.value));
    ui.viewer.dataset.triangles = String(triangles);
    const shells = task.mesh?.shells ?? 1;
    const parts = shells > 1 ? `, in ${shells} separate parts (each stands on the bed)` : '';
    ui.previewStatus.textContent = `The mesh the downloads give: ${triangles.toLocaleString('en')} triangles${parts}.`;
    setDownload('glb', { format: 'glb', url: task.url, taskId: task.taskId, at: Date.now() });
  } catch (error) {
    if (controller.signal.aborted) return;
    ui.previewStatus.textContent = `No preview: ${messageOf(error)}`;
    ui.previewStatus.classList.add('error');
  } finally {
    if (previewRun === controller) previewRun = undefined;
  }
}

for (const button of Array.from(document.querySelectorAll<HTMLButtonElement>('[data-colormap]'))) {
  button.addEventListener('click', () => {
    for (const other of Array.from(document.querySelectorAll<HTMLButtonElement>('[data-colormap]')))
      other.setAttribute('aria-pressed', String(other === button));
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

/** As the command line names them: `cat.depth.png`, `cat.normal.png`, `cat.stl`. */
function fileName(format: OutputFormat): string {
  const stem = (current?.photo.name ?? 'photo').replace(/\.[^.]+$/, '');
  if (isMeshFormat(format)) return `${stem}.${format}`;
  const extension = formatExtension(format);
  return extension === format ? `${stem}.depth.${format}` : `${stem}.${format}.${extension}`;
}

function downloadLink(ready: Ready, label: string): HTMLAnchorElement {
  const link = document.createElement('a');
  link.href = ready.url;
  link.download = fileName(ready.format);
  link.className = 'button';
  link.dataset.format = ready.format;
  link.textContent = `Download ${label}`;
  link.addEventListener('click', (event) => {
    event.preventDefault();
    void save(ready, link);
  });
  return link;
}

/**
 * Saves the result under the photo's name. Followed as it is, the link would be saved under the
 * server's name for it (its Content-Disposition, `<task id>_0.stl`, wins over the download
 * attribute), so the file is fetched and offered from memory, where the attribute decides.
 */
async function save(ready: Ready, link: HTMLAnchorElement): Promise<void> {
  if (Date.now() - ready.at >= LINK_FRESH_MS && client) {
    // The link may have expired: ask for a fresh one first.
    const task = await client.queryTask(ready.taskId);
    if (task.url) {
      ready.url = link.href = task.url;
      ready.at = Date.now();
    }
  }
  const response = await fetch(ready.url);
  if (!response.ok) {
    setStatus(`The download failed (HTTP ${response.status}): make the file again.`, true);
    return;
  }
  const file = URL.createObjectURL(await response.blob());
  const anchor = document.createElement('a');
  anchor.href = file;
  anchor.download = link.download;
  anchor.click();
  // Revoked once the browser has surely started saving it.
  setTimeout(() => URL.revokeObjectURL(file), 60_000);
}

/** One format's line: its download link when made, else a button that makes it. */
function downloadItem(format: OutputFormat, ready?: Ready): HTMLLIElement {
  const { label, what } = formatInfo(format);
  const item = document.createElement('li');
  item.dataset.item = format;
  const name = document.createElement('span');
  name.className = 'format';
  name.textContent = `${label}: ${what}`;
  const note = document.createElement('span');
  note.className = 'note';
  note.setAttribute('aria-live', 'polite');
  item.append(name);
  if (ready) {
    item.append(downloadLink(ready, label));
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
  return item;
}

function setDownload(format: OutputFormat, ready?: Ready): void {
  ui.downloads.querySelector(`li[data-item="${format}"]`)?.replaceWith(downloadItem(format, ready));
}

function resetDownloads(png: Ready): void {
  // The order a user is offered them in: the depth maps, then the reliefs. A normal map shown is of the old map.
  normalView.hide();
  ui.downloads.replaceChildren(...FORMATS_BY_KIND.map((format) => downloadItem(format, format === png.format ? png : undefined)));
}

function resetMeshDownloads(): void {
  for (const format of MESH_FORMATS) setDownload(format);
}

async function makeFormat(format: OutputFormat, label: string, button: HTMLButtonElement, note: HTMLElement): Promise<void> {
  if (!current) return;
  const input = isMeshFormat(format) ? reliefInput(format, current) : depthInput(format, current);
  note.classList.remove('error');
  if ('problem' in input) {
    note.textContent = input.problem;
    note.classList.add('error');
    return;
  }
  button.disabled = true;
  note.textContent = 'making…';
  try {
    const task = await runTask(input, new AbortController().signal, (progress) => (note.textContent = `${describe(progress)}…`));
    // If the options changed meanwhile, this line was replaced and the result is for old options.
    if (!button.isConnected) return;
    const link = downloadLink({ format, url: task.url, taskId: task.taskId, at: Date.now() }, label);
    if (format === 'normal' && client) {
      // A normal map is shown as well as offered (below the list), unless a new map came meanwhile.
      const png = await client.download(task);
      if (!button.isConnected) return;
      await normalView.show(png);
    }
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

if (!signInWithLink()) restoreSession();
showReliefMode();
loadFieldRules()
  .then((rules) => {
    applyFieldRules(ui.options, rules);
    maxBytes = rules.image?.['x-max-bytes'] ?? maxBytes;
    showReliefMode();
  })
  .catch((error: unknown) => (ui.optionsError.textContent = `Options could not be loaded: ${messageOf(error)}`));
