#!/usr/bin/env node
// Thin launcher: the command line lives in the compiled TypeScript (npm ci builds it).
import '../dist/cli/main.js';
