// The peer's side of bench/peer.ts, in a process of its own: @imgly/background-removal-node brings
// its own sharp (0.33, a second libvips) and onnxruntime-node (1.17), which should not share a
// process with ours. bench/peer.ts starts this with an IPC channel and asks for one run at a time,
// so that both sides take turns under the same machine load. Not meant to be run by hand.
//
//   (from bench/peer.ts) vite-node bench/peer-imgly.ts -- --model medium --public-path file:///.../dist/
import { readFileSync, writeFileSync } from 'node:fs';
import { removeBackground } from '@imgly/background-removal-node';
import { benchArgs } from './args.js';

const { option } = benchArgs({ values: ['model', 'public-path'] });

/** One run of removeBackground on an image file; with `alphaOut`, its alpha is written there (one byte per pixel). */
export interface PeerRequest {
  file: string;
  mime: string;
  alphaOut?: string;
}
export type PeerReply = { ms: number } | { error: string };

// Raw RGBA out: the cut-out without their default PNG encoding, as ours gives a mask unencoded.
const config = {
  model: option('--model') === 'small' ? 'small' : 'medium',
  publicPath: option('--public-path'),
  output: { format: 'image/x-rgba8' },
} as const;

async function run({ file, mime, alphaOut }: PeerRequest): Promise<number> {
  const blob = new Blob([readFileSync(file)], { type: mime }); // they refuse a Blob without a type
  const start = performance.now();
  const out = await removeBackground(blob, config); // the first call also loads the model (memoised per config)
  const ms = performance.now() - start;
  if (alphaOut) {
    const rgba = new Uint8Array(await out.arrayBuffer());
    const alpha = new Uint8Array(rgba.length / 4);
    for (let p = 0; p < alpha.length; p++) alpha[p] = rgba[4 * p + 3]!;
    writeFileSync(alphaOut, alpha);
  }
  return ms;
}

process.on('message', (request: PeerRequest) => {
  run(request).then(
    (ms) => process.send!({ ms } satisfies PeerReply),
    (error: unknown) =>
      process.send!({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies PeerReply),
  );
});
process.on('disconnect', () => process.exit(0));
