/**
 * A real headless Chromium (Debian's `chromium` package) driven by playwright-core, and the place
 * screenshots go: $DHCPMGR_SCREENSHOT_DIR (CI sets .ci/out/screenshots), else a fresh temp dir.
 * A missing browser fails loudly: test-e2e/install-deps.sh installs it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium, Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run test-e2e/install-deps.sh (Debian package chromium)`);
  // --no-sandbox: the suite runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

let shotDir: string | undefined;

/** The screenshot directory, created on first use and printed once so a CI log says where to look. */
export function screenshotDir(): string {
  if (!shotDir) {
    shotDir = process.env.DHCPMGR_SCREENSHOT_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'dhcpmgr-screenshots-'));
    fs.mkdirSync(shotDir, { recursive: true });
    console.log(`screenshots: ${shotDir}`);
  }
  return shotDir;
}

export function screenshotPath(name: string): string {
  return path.join(screenshotDir(), `${name}.png`);
}
