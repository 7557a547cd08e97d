// The interactive 3D preview: the server's own relief mesh (the GLB a download would give, for the
// options on screen), lit and orbitable (three.js). Nothing of the relief is rebuilt here, so what
// is previewed is what prints.
import {
  Box3,
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
  type Object3D,
} from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';

export function webglAvailable(): boolean {
  try {
    const canvas = document.createElement('canvas');
    return Boolean(canvas.getContext('webgl2') ?? canvas.getContext('webgl'));
  } catch {
    return false;
  }
}

/** Triangles of every mesh under a node (indexed or not). */
function triangleCount(root: Object3D): number {
  let triangles = 0;
  root.traverse((node) => {
    if (!(node instanceof Mesh)) return;
    const geometry = node.geometry as Mesh['geometry'];
    triangles += (geometry.index?.count ?? geometry.getAttribute('position').count) / 3;
  });
  return triangles;
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
  private readonly key = new DirectionalLight(0xffffff, 2.6);

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
    this.key.position.set(-1, 0.8, 0.7);
    this.scene.add(this.key);
    this.scene.add(this.model);
    this.camera.up.set(0, 0, 1);

    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.listenToKeyEvents(canvas);
    this.controls.addEventListener('change', () => this.render());

    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(container);
    this.resize();
  }

  /**
   * Shows a relief GLB as the server made it. glTF is in metres with +Y up (formats/glb.ts turns
   * the millimetre, Z-up mesh that way); it is turned back here, so the relief lies on the table
   * in millimetres, as in a slicer. A bent relief (`standing`) stands on the table with its face
   * towards the front, and is seen and lit from the front. Resolves to the mesh's triangle count.
   */
  async show(glb: ArrayBuffer, { standing = false } = {}): Promise<number> {
    const gltf = await new GLTFLoader().parseAsync(glb, '');
    for (const child of [...this.model.children]) {
      this.model.remove(child);
      child.traverse((node) => {
        if (node instanceof Mesh) (node.geometry as Mesh['geometry']).dispose();
      });
    }
    const relief = gltf.scene;
    relief.traverse((node) => {
      if (node instanceof Mesh) node.material = this.material;
    });
    relief.scale.setScalar(1000);
    relief.rotation.x = Math.PI / 2;
    this.model.add(relief);
    this.model.updateMatrixWorld(true);
    const bounds = new Box3().setFromObject(relief);
    const centre = bounds.getCenter(new Vector3());
    const extent = bounds.getSize(new Vector3());
    const upright = extent.z > Math.max(extent.x, extent.y) / 2;
    const size = Math.max(extent.x, extent.y, standing || upright ? extent.z : 0);
    if (standing) {
      // From the front, above and to the left (its curve shows), far enough for its height; lit the same way.
      this.home = { position: new Vector3(centre.x - size * 0.9, centre.y - size * 1.9, centre.z + size * 1.4), target: centre };
      this.key.position.set(-1, -1.2, 0.9);
    } else if (upright) {
      // A part that stands (a curved lithophane): seen whole from behind and above, where its relief
      // is (the inside of an arc, into a tube's top) and the key light falls.
      const distance = (0.55 * extent.length()) / Math.sin(((this.camera.fov / 2) * Math.PI) / 180);
      this.home = {
        position: new Vector3(centre.x, centre.y + distance * Math.cos(Math.PI / 6), centre.z + distance * Math.sin(Math.PI / 6)),
        target: centre,
      };
      this.key.position.set(-1, 0.8, 0.7);
    } else {
      this.home = {
        position: new Vector3(centre.x, centre.y - size * 1.1, size * 1.25),
        target: new Vector3(centre.x, centre.y, bounds.min.z + extent.z / 2),
      };
      this.key.position.set(-1, 0.8, 0.7);
    }
    this.camera.near = size / 100;
    this.camera.far = size * 100;
    this.resetView();
    return triangleCount(relief);
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
