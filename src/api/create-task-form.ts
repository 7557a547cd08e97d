// Reads create-task's multipart form: one image file or an image_url, and the text fields.
// Limits are enforced while the body streams in (see app.ts for the multipart limits).
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { OutboundFetch } from '../tasks/ports.js';
import type { TaskParams } from '../tasks/task.js';
import { createTaskFields, describeIssue, toTaskParams } from './create-task-schema.js';
import { ApiError, Errors } from './errors.js';
import { fetchImage, tooLarge } from './fetch-image.js';
import { sniffImageType, type ImageType } from './image-type.js';

export interface CreateTaskInput {
  params: TaskParams;
  image: Buffer;
  imageType: ImageType;
}

async function readParts(request: FastifyRequest, config: Config): Promise<{ fields: Record<string, string>; upload: Buffer | undefined }> {
  const fields: Record<string, string> = {};
  let upload: Buffer | undefined;
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      if (part.fieldname !== 'image') {
        part.file.resume(); // unknown file fields are ignored, like unknown text fields
        continue;
      }
      if (upload) throw new ApiError(Errors.tooManyFiles);
      upload = await part.toBuffer();
      if (part.file.truncated) throw tooLarge(config.maxImageBytes);
    } else if (typeof part.value === 'string') {
      fields[part.fieldname] = part.value;
    }
  }
  return { fields, upload };
}

export async function readCreateTask(request: FastifyRequest, config: Config, outbound: OutboundFetch): Promise<CreateTaskInput> {
  if (!request.isMultipart()) throw new ApiError(Errors.notMultipart);
  const { fields, upload } = await readParts(request, config).catch((error: unknown) => {
    // Errors of our own and of Fastify's multipart plugin (codes FST_*) are mapped already; what
    // is left comes from the multipart parser itself: a body that is not well-formed multipart.
    if (error instanceof ApiError || (error as { code?: string }).code?.startsWith('FST_')) throw error;
    throw new ApiError(Errors.invalidField, `invalid parameter: malformed multipart body (${(error as Error).message})`);
  });

  const parsed = createTaskFields.safeParse(fields);
  if (!parsed.success) throw new ApiError(Errors.invalidField, describeIssue(parsed.error.issues[0]!, fields));
  const params = toTaskParams(parsed.data);

  // Refused before the task exists: a callback that could never be delivered is better said now.
  const callbackRefusal = params.callbackUrl && outbound.refusal(params.callbackUrl);
  if (callbackRefusal) throw new ApiError(Errors.invalidField, `invalid parameter: callback_url is not allowed: ${callbackRefusal}`);

  const imageUrl = parsed.data.image_url;
  if (upload && imageUrl) throw new ApiError(Errors.imageConflict);
  if (!upload && !imageUrl) throw new ApiError(Errors.imageMissing);
  const image = upload ?? (await fetchImage(imageUrl!, { maxBytes: config.maxImageBytes, timeoutMs: config.fetchTimeoutMs, fetch: outbound }));
  if (image.length === 0) throw new ApiError(Errors.imageType, 'invalid parameter: image is empty');
  const imageType = sniffImageType(image);
  if (!imageType) {
    throw new ApiError(Errors.imageType, `invalid parameter: ${upload ? 'image' : 'image_url'} must be a png, jpeg or webp image (its content is none of these)`);
  }
  return { params, image, imageType };
}
