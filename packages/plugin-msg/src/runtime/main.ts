/**
 * The executable of both plugins: `bin.ts` of each is `pluginMain(spec)`. The script the DHCP
 * client runs on every lease event, so this path stays lean (no yargs; pino and the transport
 * are loaded only when needed).
 */
import { createPluginLogger } from './log';
import { DeliveryTransport } from './deliver';
import { EXIT } from './exit';
import { PluginSpec, runPlugin } from './run';

export function pluginMain(spec: PluginSpec): void {
  runPlugin(spec, process.argv.slice(2), process.env, {
    makeLogger: (o) => createPluginLogger({ name: spec.name, ...o }),
    // Loaded only for an event to send: --help, --version, --dry-run and --out need no addon.
    // transport-raw drives the addon directly (blocking, bounded calls): the npm wrapper would
    // load node's stream module for a process that sends one message.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    transport: () => (require('../transport-raw') as { rawTransport: DeliveryTransport }).rawTransport,
    stdout: (text) => process.stdout.write(text),
  }).then(
    (code) => {
      // Exit here, in the microtask that settles the run, instead of one more event-loop turn
      // or node's shutdown of an emptied loop: the DHCP client waits for us. Nothing is left to
      // finish: the transport closed its socket before its call returned, and log lines and
      // --dry-run output are already written (both synchronous).
      process.exit(code);
    },
    (err: unknown) => {
      process.stderr.write(`${spec.name}: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = EXIT.internal;
    },
  );
}
