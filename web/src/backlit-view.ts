// A colour lithophane's preview: its 3MF (the download itself) seen with a white light behind it,
// simulated by the SDK's backlit3mf with the filaments' absorption table. Shown in place of the 3D
// view, whose GLB cannot carry the parts' colours.
import { backlit3mf } from '@depthmill/client/backlight';

/** Pixels on the picture's long side: finer than the 0.4 mm colour grid of a plate up to 200 mm. */
const LONG_SIDE = 512;

export class BacklitView {
  constructor(
    private readonly section: HTMLElement,
    private readonly canvas: HTMLCanvasElement,
  ) {}

  /** Draws the back-lit picture of a lithophane's 3MF bytes and shows the section. */
  show(threemf: Uint8Array): void {
    const image = backlit3mf(threemf, LONG_SIDE);
    this.canvas.width = image.width;
    this.canvas.height = image.height;
    const context = this.canvas.getContext('2d');
    if (!context) throw new Error('this browser cannot draw the back-lit preview');
    context.putImageData(new ImageData(new Uint8ClampedArray(image.rgba), image.width, image.height), 0, 0);
    this.section.hidden = false;
  }

  hide(): void {
    this.section.hidden = true;
  }
}
