// The one error the image code raises on purpose (decoding a photo or a mask, reading a client's
// depth map, the pipeline's checks): the input, not the server, is at fault. It keeps the name it
// had when the pipeline alone raised it, which is what logs and callers know it by.
// The task layer turns it into a failed task (5001001) whose msg is this error's message, so the
// message must say what was wrong with the image in plain words and never carry stack-trace text.
import { TaskInputError } from '../contract/errors.js';

export class PipelineInputError extends TaskInputError {
  override name = 'PipelineInputError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
