#!/usr/bin/env node
// Install step after the build (`prepare`): fetches the optional models the registry marks
// fetchAtInstall (Depth Anything V2 Small) with the same downloader as `depthmill models pull`.
// Never fails the install: an unreachable host costs one line. DEPTHMILL_SKIP_MODEL_DOWNLOADS=1 skips it.
import { fetchOptionalModels } from '../dist/cli/models.js';

await fetchOptionalModels();
