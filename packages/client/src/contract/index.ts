// `@depthmill/client/contract`: the wire contract the SDK speaks, which the server shares rather
// than copies (its src/contract/ imports it): the table of create-task fields and its mapping to
// the form, the output formats, task states, the envelope, its codes, callback signatures, and the
// filaments of a colour lithophane.
export * from './callback-signature.js';
export * from './codes.js';
export * from './envelope.js';
export * from './fields.js';
export * from './filaments.js';
export * from './formats.js';
export * from './task-fields.js';
export * from './task.js';
