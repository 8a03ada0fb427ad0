#!/usr/bin/env node
// The script the DHCP client runs on every lease event: keep this path lean (no yargs).
import { DeliveryTransport, createPluginLogger, runPlugin } from '@dhcpmgr/plugin-msg';
import { spec } from './plugin';

runPlugin(spec, process.argv.slice(2), process.env, {
  makeLogger: (o) => createPluginLogger({ name: spec.name, ...o }),
  // Loaded only for an event to send: the native nanomsg addon is not needed for --dry-run/--out.
  // The plugin transport drives the addon directly (blocking, bounded calls): the npm wrapper
  // would load node's stream module for a process that sends one message.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  transport: () => (require('@dhcpmgr/plugin-msg/transport-raw') as { rawTransport: DeliveryTransport }).rawTransport,
  stdout: (text) => process.stdout.write(text),
}).then(
  (code) => {
    process.exitCode = code;
    // Exit as soon as the socket is closed (closeOnce runs in an immediate queued before this one)
    // instead of waiting for node's own shutdown of an emptied loop: the DHCP client waits for us.
    // Log lines and --dry-run output are already written: both are synchronous here.
    setImmediate(() => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`${spec.name}: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
