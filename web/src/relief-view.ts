// The interactive 3D preview: the depth map displaced into a relief in millimetres, shaped by the
// task's relief options, lit and orbitable (three.js). Built here from the depth PNG, so it needs no
// extra task; the STL/GLB/3MF downloads are the server's exact meshes.
import {
  BufferAttribute,
  BufferGeometry,
  Color,
  DirectionalLight,
  DoubleSide,
  Group,
  HemisphereLight,
  Mesh,
  MeshStandardMaterial,
  PerspectiveCamera,
  Scene,
  Vector3,
  WebGLRenderer,
} from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import type { DepthPixels } from './depth-view.js';

export interface ReliefShape {
  /** X extent in mm. */
  width: number;
  heightRelief: number;
  thicknessBase: number;
  shapeBase: 'square' | 'circle';
  sculpmode: 'emboss' | 'engrave';
}

/** Grid samples across the long side: enough to see the shape, light enough for a phone. */
const GRID = 220;

export function webglAvailable(): boolean {
  try {
    const canvas = document.createElement('canvas');
    return Boolean(canvas.getContext('webgl2') ?? canvas.getContext('webgl'));
  } catch {
    return false;
  }
}

/** The top surface (one vertex per grid sample, triangles where all corners are inside the shape) and the sides. */
export function reliefSolid(pixels: DepthPixels, shape: ReliefShape): { top: BufferGeometry; sides: BufferGeometry } {
  const scale = GRID / Math.max(pixels.width, pixels.height);
  const cols = Math.max(2, Math.round(pixels.width * Math.min(1, scale)));
  const rows = Math.max(2, Math.round(pixels.height * Math.min(1, scale)));
  const mmPerCol = shape.width / (cols - 1);
  const depthMm = (rows - 1) * mmPerCol;
  const positions = new Float32Array(cols * rows * 3);
  const inside = new Uint8Array(cols * rows);
  const radius = Math.min(shape.width, depthMm) / 2;

  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      // Average the block of pixels this sample stands for (alpha-weighted, so cut-outs stay clean).
      const x0 = Math.floor((col / cols) * pixels.width);
      const x1 = Math.max(x0 + 1, Math.floor(((col + 1) / cols) * pixels.width));
      const y0 = Math.floor((row / rows) * pixels.height);
      const y1 = Math.max(y0 + 1, Math.floor(((row + 1) / rows) * pixels.height));
      let sum = 0;
      let weight = 0;
      let alpha = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const i = (y * pixels.width + x) * 4;
          const a = pixels.data[i + 3]! / 255;
          sum += (pixels.data[i]! / 255) * a;
          weight += a;
          alpha += a;
        }
      }
      const depth = weight > 0 ? sum / weight : 0;
      const coverage = alpha / ((x1 - x0) * (y1 - y0));
      const x = col * mmPerCol - shape.width / 2;
      const y = depthMm / 2 - row * mmPerCol;
      const height = shape.sculpmode === 'emboss' ? depth * shape.heightRelief : (1 - depth) * shape.heightRelief;
      const index = row * cols + col;
      positions.set([x, y, shape.thicknessBase + height], index * 3);
      inside[index] = coverage >= 0.5 && (shape.shapeBase === 'square' || Math.hypot(x, y) <= radius) ? 1 : 0;
    }
  }

  const indices: number[] = [];
  for (let row = 0; row < rows - 1; row++) {
    for (let col = 0; col < cols - 1; col++) {
      const a = row * cols + col;
      const b = a + 1;
      const c = a + cols;
      const d = c + 1;
      if (inside[a] && inside[c] && inside[b]) indices.push(a, c, b);
      if (inside[b] && inside[c] && inside[d]) indices.push(b, c, d);
    }
  }
  const top = new BufferGeometry();
  top.setAttribute('position', new BufferAttribute(positions, 3));
  top.setIndex(indices);
  top.computeVertexNormals();
  return { top, sides: sidesOf(positions, indices) };
}

/**
 * The rest of the solid, flat-shaded: the bottom (the top's outline at z = 0) and a wall down from
 * every boundary edge of the top (an edge only one triangle uses), so the preview is closed like
 * the printed part, whatever its outline (square, disk, or the foreground after background removal).
 */
function sidesOf(positions: Float32Array, indices: number[]): BufferGeometry {
  const out: number[] = [];
  const vertex = (i: number, z?: number) => [positions[i * 3]!, positions[i * 3 + 1]!, z ?? positions[i * 3 + 2]!];
  const edges = new Map<string, [number, number]>();
  for (let t = 0; t < indices.length; t += 3) {
    const [a, b, c] = [indices[t]!, indices[t + 1]!, indices[t + 2]!];
    out.push(...vertex(a, 0), ...vertex(c, 0), ...vertex(b, 0)); // bottom, facing down
    for (const [from, to] of [[a, b], [b, c], [c, a]] as const) {
      const reverse = `${to},${from}`;
      if (edges.has(reverse)) edges.delete(reverse);
      else edges.set(`${from},${to}`, [from, to]);
    }
  }
  for (const [from, to] of edges.values()) {
    out.push(...vertex(from), ...vertex(from, 0), ...vertex(to, 0));
    out.push(...vertex(from), ...vertex(to, 0), ...vertex(to));
  }
  const geometry = new BufferGeometry();
  geometry.setAttribute('position', new BufferAttribute(new Float32Array(out), 3));
  geometry.computeVertexNormals();
  return geometry;
}

export class ReliefView {
  private readonly renderer: WebGLRenderer;
  private readonly scene = new Scene();
  private readonly camera = new PerspectiveCamera(35, 1, 0.1, 20_000);
  private readonly controls: OrbitControls;
  private readonly model = new Group();
  private readonly material = new MeshStandardMaterial({ color: 0xd8d2c8, roughness: 0.6, metalness: 0, side: DoubleSide });
  private readonly observer: ResizeObserver;
  private home = { position: new Vector3(), target: new Vector3() };

  constructor(private readonly container: HTMLElement) {
    // preserveDrawingBuffer: the picture stays readable (screenshots, tests) after it is shown.
    this.renderer = new WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
    const canvas = this.renderer.domElement;
    canvas.tabIndex = 0;
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', '3D preview of the relief: drag to turn, arrow keys to pan');
    container.append(canvas);

    this.scene.background = new Color(0x2a2f3a);
    this.scene.add(new HemisphereLight(0xffffff, 0x3a3f4c, 0.9));
    // A low key light from the upper left: shallow reliefs read by their shading.
    const key = new DirectionalLight(0xffffff, 2.6);
    key.position.set(-1, 0.8, 0.7);
    this.scene.add(key);
    this.scene.add(this.model);
    this.camera.up.set(0, 0, 1);

    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.listenToKeyEvents(canvas);
    this.controls.addEventListener('change', () => this.render());

    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(container);
    this.resize();
  }

  show(pixels: DepthPixels, shape: ReliefShape): void {
    for (const child of [...this.model.children]) {
      this.model.remove(child);
      if (child instanceof Mesh) child.geometry.dispose();
    }
    const { top, sides } = reliefSolid(pixels, shape);
    this.model.add(new Mesh(top, this.material), new Mesh(sides, this.material));
    const aspect = pixels.height / pixels.width;
    const size = Math.max(shape.width, shape.width * aspect);
    this.home = { position: new Vector3(0, -size * 1.1, size * 1.25), target: new Vector3(0, 0, shape.thicknessBase) };
    this.camera.near = size / 100;
    this.camera.far = size * 100;
    this.resetView();
  }

  /** Stretches the relief vertically for a better look at shallow ones (the files keep the real height). */
  setExaggeration(factor: number): void {
    this.model.scale.set(1, 1, factor);
    this.render();
  }

  resetView(): void {
    this.camera.position.copy(this.home.position);
    this.controls.target.copy(this.home.target);
    this.camera.updateProjectionMatrix();
    this.controls.update();
    this.render();
  }

  private resize(): void {
    const width = this.container.clientWidth || 320;
    const height = Math.round(Math.min(520, Math.max(240, width * 0.7)));
    this.renderer.setSize(width, height);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    this.render();
  }

  render(): void {
    this.renderer.render(this.scene, this.camera);
  }
}
