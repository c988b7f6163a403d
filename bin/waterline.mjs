#!/usr/bin/env node
// The `waterline` command. TypeScript sources run through tsx's loader, so a clean clone needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
