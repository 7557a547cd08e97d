// Types for the parts of the Khronos glTF validator (npm gltf-validator, which ships none) the tests use.
declare module 'gltf-validator' {
  export interface ValidationMessage {
    code: string;
    message: string;
    severity: number;
    pointer?: string;
  }
  export interface ValidationReport {
    validatorVersion: string;
    mimeType: string;
    issues: { numErrors: number; numWarnings: number; numInfos: number; numHints: number; messages: ValidationMessage[] };
    info?: { version: string; generator?: string; drawCallCount?: number; totalVertexCount?: number; totalTriangleCount?: number };
  }
  export function validateBytes(
    data: Uint8Array,
    options?: { maxIssues?: number; writeTimestamp?: boolean; format?: 'glb' | 'gltf' },
  ): Promise<ValidationReport>;
  export function version(): string;
}
