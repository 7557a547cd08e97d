// The background cut on screen, and the user's correction of it: the result's alpha laid over the
// photo as a tint on what was removed (toggleable), and a subject box drawn on the photo with a
// mouse, a pen or a finger (pointer events), or typed in four fields for keyboard users.
import type { SubjectBox } from '@depthmill/client';
import type { DepthPixels } from './depth-view.js';

/** What was removed, tinted: a magenta that shows on skies, grass and skin alike. */
const TINT = [214, 32, 142, 150] as const;
/** A box smaller than this share of either side is a stray click, not a box. */
const MIN_SIDE = 0.01;

export interface CutElements {
  stage: HTMLElement;
  photo: HTMLImageElement;
  overlay: HTMLCanvasElement;
  box: HTMLElement;
  /** Left, top, right, bottom in percent. */
  fields: [HTMLInputElement, HTMLInputElement, HTMLInputElement, HTMLInputElement];
}

/** Shares 0..1 rounded to 4 decimals: finer than a pixel of a 2048 px map, and short on the wire. */
function share(value: number): number {
  return Math.round(Math.min(1, Math.max(0, value)) * 10000) / 10000;
}

export class CutView {
  private current: SubjectBox | undefined;
  private drag: { pointerId: number; x: number; y: number } | undefined;

  /** Told whenever the box changes (undefined: no box). */
  onChange: (box: SubjectBox | undefined) => void = () => undefined;

  constructor(private readonly ui: CutElements) {
    const { stage, fields } = ui;
    stage.addEventListener('pointerdown', (event) => this.start(event));
    stage.addEventListener('pointermove', (event) => this.move(event));
    stage.addEventListener('pointerup', (event) => this.end(event));
    stage.addEventListener('pointercancel', () => (this.drag = undefined));
    for (const field of fields) field.addEventListener('input', () => this.fromFields());
  }

  /** Shows a result: the photo with the removed part tinted, from the depth map's alpha. */
  show(photo: Blob, pixels: DepthPixels): void {
    if (this.ui.photo.src.startsWith('blob:')) URL.revokeObjectURL(this.ui.photo.src);
    this.ui.photo.src = URL.createObjectURL(photo);
    const { overlay } = this.ui;
    overlay.width = pixels.width;
    overlay.height = pixels.height;
    const tinted = new ImageData(pixels.width, pixels.height);
    const alpha = pixels.data;
    for (let i = 3; i < alpha.length; i += 4) {
      if (alpha[i]! >= 128) continue;
      tinted.data.set(TINT, i - 3);
    }
    overlay.getContext('2d')!.putImageData(tinted, 0, 0);
  }

  setOverlayVisible(visible: boolean): void {
    this.ui.overlay.hidden = !visible;
  }

  get box(): SubjectBox | undefined {
    return this.current;
  }

  /** Sets (or with undefined clears) the box, on the photo and in the fields. */
  setBox(box: SubjectBox | undefined, { updateFields = true } = {}): void {
    this.current = box;
    const { box: frame, fields } = this.ui;
    frame.hidden = box === undefined;
    if (box) {
      const [x0, y0, x1, y1] = box;
      Object.assign(frame.style, {
        left: `${x0 * 100}%`,
        top: `${y0 * 100}%`,
        width: `${(x1 - x0) * 100}%`,
        height: `${(y1 - y0) * 100}%`,
      });
    }
    if (updateFields) fields.forEach((field, i) => (field.value = box ? String(Math.round(box[i]! * 1000) / 10) : ''));
    this.onChange(box);
  }

  /** Where a pointer is, as shares of the photo's width and height. */
  private at(event: PointerEvent): { x: number; y: number } {
    const rect = this.ui.photo.getBoundingClientRect();
    return { x: share((event.clientX - rect.left) / rect.width), y: share((event.clientY - rect.top) / rect.height) };
  }

  private start(event: PointerEvent): void {
    if (event.button !== 0 || this.drag) return;
    event.preventDefault(); // no text selection or image drag while drawing
    this.ui.stage.setPointerCapture(event.pointerId);
    this.drag = { pointerId: event.pointerId, ...this.at(event) };
  }

  private boxTo(event: PointerEvent): SubjectBox | undefined {
    if (!this.drag) return undefined;
    const { x, y } = this.at(event);
    const box = [Math.min(x, this.drag.x), Math.min(y, this.drag.y), Math.max(x, this.drag.x), Math.max(y, this.drag.y)] as const;
    return box[2] - box[0] >= MIN_SIDE && box[3] - box[1] >= MIN_SIDE ? box : undefined;
  }

  private move(event: PointerEvent): void {
    if (this.drag?.pointerId !== event.pointerId) return;
    const box = this.boxTo(event);
    if (box) this.setBox(box);
  }

  private end(event: PointerEvent): void {
    if (this.drag?.pointerId !== event.pointerId) return;
    const box = this.boxTo(event);
    this.drag = undefined;
    // A click without a drag keeps the box there was.
    if (box) this.setBox(box);
  }

  /** The four fields, in percent, as a box when they make one. */
  private fromFields(): void {
    const values = this.ui.fields.map((field) => (field.value === '' ? NaN : Number(field.value) / 100));
    const [x0, y0, x1, y1] = values as [number, number, number, number];
    const valid = values.every((value) => value >= 0 && value <= 1) && x1 - x0 >= MIN_SIDE && y1 - y0 >= MIN_SIDE;
    for (const field of this.ui.fields)
      field.setCustomValidity(valid || values.some(Number.isNaN) ? '' : 'left before right, top before bottom, each 0 to 100');
    // Fields that make no box (yet: "6" on the way to "60") leave no box, so Redo never sends one the fields do not show.
    this.setBox(valid ? [share(x0), share(y0), share(x1), share(y1)] : undefined, { updateFields: false });
  }
}
