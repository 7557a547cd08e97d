// A depth map a user brought that we cannot read or use. It is a PipelineInputError, so the task
// layer and the command line treat it as the input's fault (a failed task whose msg is this
// message), and its message says what was wrong in plain words, never stack-trace text.
import { PipelineInputError } from '../raster/errors.js';

// (Its name stays PipelineInputError's: code that tells errors apart by name sees the same kind.)
export class DepthMapInputError extends PipelineInputError {}
