import type { Applier, LeaseChange } from '../contract';

/** `--apply none`: the model is the only thing that changes. */
export class NoneApplier implements Applier {
  readonly name = 'none';
  apply(_change: LeaseChange): void {
    // Nothing to do on the system.
  }
  idle(): Promise<void> {
    return Promise.resolve();
  }
}
