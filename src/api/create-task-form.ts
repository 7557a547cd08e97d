// Reads create-task's multipart form: one image file or an image_url, optionally one mask file
// (the user's own background mask), or instead of a photo a depth_map file (depth-map-input.ts),
// and the text fields. Limits are enforced while the body streams in (see app.ts for the multipart
// limits).
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { OutboundFetch } from '../tasks/ports.js';
import { readDepthMapUpload, type DepthMapContentType } from './depth-map-input.js';
import type { TaskParams } from '../contract/task.js';
import { createTaskFields, describeIssue, toTaskParams } from '../contract/create-task-schema.js';
import { ApiError, Errors } from '../contract/errors.js';
import { ALLOWLIST_HINT, fetchImage, tooLarge } from './fetch-image.js';
import { sniffImageType, type ImageType } from './image-type.js';

export interface CreateTaskInput {
  params: TaskParams;
  /** The photo, or with params.depthMap the client's depth map (PNG or EXR). */
  image: Buffer;
  imageType: ImageType | DepthMapContentType;
  /** The user's mask (rmbg=1 only): an image whose alpha, else grey, is the foreground. */
  mask?: { bytes: Buffer; type: ImageType };
}

/** The longest text field value create-task reads (a URL, a box): app.ts gives it to the multipart parser. */
export const MAX_FIELD_BYTES = 4096;

/** The file fields create-task reads; other file fields are ignored, like unknown text fields. */
const FILE_FIELDS = ['image', 'mask', 'depth_map'] as const;
type FileField = (typeof FILE_FIELDS)[number];

function isFileField(name: string): name is FileField {
  return (FILE_FIELDS as readonly string[]).includes(name);
}

async function readParts(
  request: FastifyRequest,
  config: Config,
): Promise<{ fields: Record<string, string>; files: Partial<Record<FileField, Buffer>> }> {
  const fields: Record<string, string> = {};
  const files: Partial<Record<FileField, Buffer>> = {};
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      const name = part.fieldname;
      if (!isFileField(name)) {
        part.file.resume();
        continue;
      }
      if (files[name])
        throw new ApiError(Errors.tooManyFiles, name === 'image' ? undefined : `invalid parameter: send one ${name} file only`);
      // The multipart plugin throws its own error for a file over the limit (mapped in app.ts to
      // the image's message); a mask says its own name.
      files[name] = await part.toBuffer().catch((error: unknown) => {
        if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(config.maxImageBytes, name);
        throw error;
      });
      if (part.file.truncated) throw tooLarge(config.maxImageBytes, name);
    } else if (typeof part.value === 'string') {
      // The parser cuts a longer value at the limit: refused, never read as a different value.
      if (part.valueTruncated)
        throw new ApiError(Errors.invalidField, `invalid parameter: ${part.fieldname} is longer than ${MAX_FIELD_BYTES} bytes`);
      fields[part.fieldname] = part.value;
    }
  }
  return { fields, files };
}

/** The mask file, checked like the image: not empty, and a png, jpeg or webp by its content. */
function readMask(bytes: Buffer | undefined, params: TaskParams): CreateTaskInput['mask'] {
  if (bytes === undefined) return undefined;
  if (params.reliefMode === 'lithophane')
    throw new ApiError(Errors.invalidField, 'invalid parameter: mask does not apply to a lithophane (it is always the whole photo)');
  // Without background removal there is no cut for a mask to replace: say so rather than ignore it.
  if (!params.rmbg) throw new ApiError(Errors.invalidField, 'invalid parameter: mask only applies when the background is removed (rmbg=1)');
  if (bytes.length === 0) throw new ApiError(Errors.imageType, 'invalid parameter: mask is empty');
  const type = sniffImageType(bytes);
  if (!type)
    throw new ApiError(Errors.imageType, 'invalid parameter: mask must be a png, jpeg or webp image (its content is none of these)');
  return { bytes, type };
}

export async function readCreateTask(request: FastifyRequest, config: Config, outbound: OutboundFetch): Promise<CreateTaskInput> {
  if (!request.isMultipart()) throw new ApiError(Errors.notMultipart);
  const { fields, files } = await readParts(request, config).catch((error: unknown) => {
    // Errors of our own and of Fastify's multipart plugin (codes FST_*) are mapped already; what
    // is left comes from the multipart parser itself: a body that is not well-formed multipart.
    if (error instanceof ApiError || (error as { code?: string }).code?.startsWith('FST_')) throw error;
    throw new ApiError(Errors.invalidField, `invalid parameter: malformed multipart body (${(error as Error).message})`);
  });

  const parsed = createTaskFields.safeParse(fields);
  if (!parsed.success) throw new ApiError(Errors.invalidField, describeIssue(parsed.error.issues[0]!, fields));
  const params = toTaskParams(parsed.data);

  // Refused before the task exists: a callback that could never be delivered is better said now.
  const callbackRefusal = params.callbackUrl && (await outbound.refusal(params.callbackUrl));
  if (callbackRefusal)
    throw new ApiError(Errors.invalidField, `invalid parameter: callback_url is not allowed: ${callbackRefusal}${ALLOWLIST_HINT}`);

  const imageUrl = parsed.data.image_url;
  if (files.depth_map) {
    const request = {
      bytes: files.depth_map,
      image: files.image !== undefined,
      imageUrl: imageUrl !== undefined,
      mask: files.mask !== undefined,
    };
    const depthMap = readDepthMapUpload(request, params, config.decodeLimits);
    return { params: depthMap.params, image: files.depth_map, imageType: depthMap.contentType };
  }
  const mask = readMask(files.mask, params);
  const upload = files.image;
  if (upload && imageUrl) throw new ApiError(Errors.imageConflict);
  if (!upload && !imageUrl) throw new ApiError(Errors.imageMissing);
  const image =
    upload ?? (await fetchImage(imageUrl!, { maxBytes: config.maxImageBytes, timeoutMs: config.fetchTimeoutMs, fetch: outbound }));
  if (image.length === 0) throw new ApiError(Errors.imageType, 'invalid parameter: image is empty');
  const imageType = sniffImageType(image);
  if (!imageType) {
    throw new ApiError(
      Errors.imageType,
      `invalid parameter: ${upload ? 'image' : 'image_url'} must be a png, jpeg or webp image (its content is none of these)`,
    );
  }
  return { params, image, imageType, ...(mask ? { mask } : {}) };
}
