#!/usr/bin/env node
import { run } from './cli';

run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, (err: unknown) => {
  process.stderr.write(`dhcp-manager: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
