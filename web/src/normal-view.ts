// The normal map's preview (format 7): the server's own PNG shown as it is (a browser draws its 16
// bits at 8), over a checkerboard where the background was removed. Shown once the normal map is
// made from the downloads list, hidden when a new depth map makes it stale.

export class NormalView {
  private version = 0;

  constructor(
    private readonly section: HTMLElement,
    private readonly image: HTMLImageElement,
  ) {}

  /** Shows a normal map (PNG bytes) once the browser has decoded it. */
  async show(png: Uint8Array): Promise<void> {
    const version = ++this.version;
    const url = URL.createObjectURL(new Blob([png.slice()], { type: 'image/png' }));
    const loaded = new Promise<void>((resolve, reject) => {
      this.image.onload = () => resolve();
      this.image.onerror = () => reject(new Error('the normal map could not be shown'));
    });
    this.release();
    this.image.src = url;
    await loaded;
    if (version === this.version) this.section.hidden = false;
  }

  hide(): void {
    this.version++;
    this.section.hidden = true;
    this.release();
    this.image.removeAttribute('src');
  }

  private release(): void {
    if (this.image.src.startsWith('blob:')) URL.revokeObjectURL(this.image.src);
  }
}
