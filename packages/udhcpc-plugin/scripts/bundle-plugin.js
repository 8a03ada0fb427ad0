#!/usr/bin/env node
'use strict';
/**
 * Bundles a plugin executable. Run from the plugin package's directory (shared by
 * packages/udhcpc-plugin and packages/dibbler-plugin):
 *
 *   node ../udhcpc-plugin/scripts/bundle-plugin.js NAME [--warm FIXTURE.env] [--meta] [--out DIR --addon PATH]
 *
 * --out DIR writes the files into DIR instead of dist/, and --addon PATH is where the nanomsg
 * addon lies relative to DIR at run time (the release package, scripts/package.js, uses both);
 * --no-warm makes no code cache even when --warm is given (a cross-build: the addon is not for
 * this machine, so the warm-up call cannot run).
 *
 * The DHCP client waits for the plugin on every lease event, so what node reads, compiles and
 * runs before the send is kept small (docs/performance.md, plugin cost):
 *
 *   dist/NAME.js        the executable (`#!/usr/bin/env node`, mode 755): src/bin.ts with
 *                       @dhcpmgr/plugin-msg taken from its TypeScript sources (ES modules, so
 *                       esbuild drops what the plugin does not use), minified. nanomsg stays
 *                       outside: transport-raw.ts drives its native addon directly, opened at
 *                       run time by its path relative to the bundle as found here (saves node's
 *                       module search), else from node_modules' nanomsg/build/Release where
 *                       node-gyp puts it, else through the `bindings` package. nanomsg's JS
 *                       wrapper, a stream.Duplex, is not loaded: it cost node's stream module.
 *   dist/NAME.pino.js   pino and its dependencies, required only when the first log line at an
 *                       enabled level is written (errors, spooled events, debug): on the normal
 *                       path (delivered, level info) nothing is logged.
 *
 * With --warm FIXTURE.env (a captured client call: `argv[1]=EVENT` and VAR=value lines), NAME.js
 * becomes a small loader of dist/NAME.main.js that hands V8 a code cache made here
 * (dist/NAME.main.cache: the functions one warm-up call compiled, so the plugin skips their
 * compilation). The loader uses the cache only when its key matches the main file's and V8 accepts
 * it (same V8 version and flags); otherwise V8 compiles from source as usual.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const crypto = require('crypto');
const esbuild = require('esbuild');

const argv = process.argv.slice(2);
const name = argv[0];
const opt = (flag) => { const i = argv.indexOf(flag); return i > 0 ? argv[i + 1] : undefined; };
if (!name || !/^[a-z0-9-]+$/.test(name)) {
  process.stderr.write('usage: bundle-plugin.js NAME [--warm FIXTURE.env] [--meta] [--out DIR --addon PATH]  (in the plugin package directory)\n');
  process.exit(2);
}
const pkgDir = process.cwd();
const dist = opt('--out') ? path.resolve(opt('--out')) : path.join(pkgDir, 'dist');
const outfile = path.join(dist, `${name}.js`);
const pinoChunk = `${name}.pino.js`;
const mainName = `${name}.main.js`;
const cacheName = `${name}.main.cache`;
// --no-warm: no code cache (the addon cannot be loaded here, e.g. built for another CPU).
const warmFixture = argv.includes('--no-warm') ? undefined : opt('--warm');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  legalComments: 'none',
  logLevel: 'warning',
  minify: true,
};

/** `require('pino')` (log.ts, on the first enabled log line) -> the side chunk. */
const pinoToChunk = {
  name: 'pino-to-chunk',
  setup(build) {
    build.onResolve({ filter: /^pino$/ }, () => ({ path: `./${pinoChunk}`, external: true }));
  },
};

/** `@dhcpmgr/plugin-msg` (and `/transport-raw`, `/transport`) from its TypeScript sources. */
const msgDir = path.dirname(require.resolve('@dhcpmgr/plugin-msg/package.json', { paths: [pkgDir] }));
const pluginMsgFromSrc = {
  name: 'plugin-msg-from-src',
  setup(build) {
    build.onResolve({ filter: /^@dhcpmgr\/plugin-msg(\/transport(-raw)?)?$/ }, (a) => ({
      path: path.join(msgDir, 'src', a.path === '@dhcpmgr/plugin-msg' ? 'index.ts' : `${a.path.slice(a.path.lastIndexOf('/') + 1)}.ts`),
    }));
  },
};

/**
 * nanomsg stays outside the bundle: transport-raw.ts opens the native addon from the nanomsg
 * package found at run time (`nanomsg/build/Release/node_nanomsg.node`, else through `bindings`).
 * The npm wrapper (nanomsg's lib/index.js) is not used by the plugins.
 */
const nanomsgRoot = path.dirname(require.resolve('nanomsg/package.json', { paths: [pkgDir] }));
const addonFile = path.join(nanomsgRoot, 'build', 'Release', 'node_nanomsg.node');
/** Where transport-raw.ts tries the addon first, relative to the bundle (see its nn()). */
const addonDefine = opt('--addon') ? { NANOMSG_ADDON_FROM_BUNDLE: JSON.stringify(opt('--addon')) }
  : fs.existsSync(addonFile) ? { NANOMSG_ADDON_FROM_BUNDLE: JSON.stringify(path.relative(dist, addonFile)) } : {};
const nanomsgOutside = {
  name: 'nanomsg-outside',
  setup(build) {
    build.onResolve({ filter: /^(nanomsg(\/.*)?|bindings)$/ }, (a) => ({ path: a.path, external: true }));
  },
};

/** How the loader wraps the main file for vm.Script; the warm-up must compile the same string. */
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) {';
const WRAP_TAIL = '\n})';

/**
 * The executable when a code cache is used. The main file's first line is `//KEY` (KEY: 32 hex
 * digits of the SHA-256 of the rest); the cache file is KEY followed by V8's data. A missing,
 * foreign or stale cache is not used, and one that V8 rejects (another V8 version or flags) is
 * ignored by V8 itself: either way the main file is compiled from source as without a cache.
 */
function loaderSource() {
  return `#!/usr/bin/env node
'use strict';
// Runs ${mainName} with the V8 code cache made at build time (scripts/bundle-plugin.js).
const fs = require('fs');
const vm = require('vm');
const file = __dirname + '/${mainName}';
const src = fs.readFileSync(file, 'utf8');
let cachedData;
try {
  const c = fs.readFileSync(__dirname + '/${cacheName}');
  if (c.length > 32 && c.toString('latin1', 0, 32) === src.slice(2, 34)) cachedData = c.subarray(32);
} catch {
  // no cache: compiled from source
}
const script = new vm.Script(${JSON.stringify(WRAP_HEAD)} + src + ${JSON.stringify(WRAP_TAIL)}, { filename: file, cachedData });
script.runInThisContext().call(module.exports, module.exports, require, module, file, __dirname);
`;
}

/**
 * The warm-up: compiles the main file as the loader does, runs it as a client call of the
 * fixture's event delivered to a responder that answers `applied` (the normal path; logs
 * silent), and at exit writes the cache of everything that call compiled.
 */
function harnessSource() {
  return `'use strict';
const fs = require('fs');
const vm = require('vm');
const { createRequire } = require('module');
const file = ${JSON.stringify(path.join(dist, mainName))};
const src = fs.readFileSync(file, 'utf8');
const script = new vm.Script(${JSON.stringify(WRAP_HEAD)} + src + ${JSON.stringify(WRAP_TAIL)}, { filename: file });
process.on('exit', () => {
  fs.writeFileSync(${JSON.stringify(path.join(dist, cacheName))}, Buffer.concat([Buffer.from(src.slice(2, 34), 'latin1'), script.createCachedData()]));
});
const m = { exports: {} };
script.runInThisContext().call(m.exports, m.exports, createRequire(file), m, file, ${JSON.stringify(dist)});
`;
}

/**
 * The manager's part in the warm-up: a REP socket answering `applied` to every request, in its
 * own process (the warm-up call blocks this one). Resolves once it is bound.
 */
function startResponder(addr) {
  const src = `
const nano = require(${JSON.stringify(require.resolve('nanomsg', { paths: [pkgDir] }))});
const { encodeAck } = require(${JSON.stringify(require.resolve('@dhcpmgr/plugin-msg', { paths: [pkgDir] }))});
const rep = nano.socket('rep');
rep.on('error', (e) => { process.stderr.write(String(e)); process.exit(3); });
rep.bind(process.argv[1]);
rep.on('data', () => rep.send(encodeAck({ status: 'applied', reason: '' })));
process.stdout.write('ready\\n');`;
  const child = spawn(process.execPath, ['-e', src, addr], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`warm-up responder exited ${code}`)));
  });
}

async function warmUp(fixture) {
  const env = { PATH: process.env.PATH || '/usr/bin:/bin' };
  let event;
  for (const line of fs.readFileSync(fixture, 'utf8').split('\n')) {
    if (line.startsWith('argv[1]=')) event = line.slice(8);
    if (!line || line.startsWith('#') || line.startsWith('argv[')) continue;
    const i = line.indexOf('=');
    if (i > 0) env[line.slice(0, i)] = line.slice(i + 1);
  }
  if (!event) throw new Error(`${fixture}: no argv[1]= line`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-plugin-'));
  let responder;
  try {
    fs.writeFileSync(path.join(tmp, 'plugin.json'), '{}');
    fs.writeFileSync(path.join(tmp, 'warm.js'), harnessSource());
    const addr = `ipc://${tmp}/ack.ipc`;
    responder = await startResponder(addr);
    Object.assign(env, {
      DHCPMGR_CONFIG: path.join(tmp, 'plugin.json'), DHCPMGR_ACK_ADDR: addr,
      DHCPMGR_TIMEOUT_MS: '20000', DHCPMGR_SPOOL_DIR: path.join(tmp, 'spool'), DHCPMGR_LOG_LEVEL: 'silent',
    });
    const r = spawnSync(process.execPath, [path.join(tmp, 'warm.js'), event], { env, encoding: 'utf8', timeout: 30000 });
    if (r.status !== 0) throw new Error(`warm-up call exited ${r.status}: ${r.stderr}`);
    if (fs.existsSync(path.join(tmp, 'spool'))) throw new Error('the warm-up call was not delivered (spooled)');
  } finally {
    if (responder) responder.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (!fs.existsSync(path.join(dist, cacheName))) throw new Error('the warm-up call wrote no code cache');
}

async function main() {
  fs.mkdirSync(dist, { recursive: true });
  for (const f of [pinoChunk, mainName, cacheName]) fs.rmSync(path.join(dist, f), { force: true });
  const r = await esbuild.build({
    ...common,
    entryPoints: [path.join(pkgDir, 'src', 'bin.ts')],
    outfile,
    plugins: [pinoToChunk, pluginMsgFromSrc, nanomsgOutside],
    define: addonDefine,
    metafile: argv.includes('--meta'),
  });
  await esbuild.build({
    ...common,
    stdin: { contents: "module.exports = require('pino');", resolveDir: pkgDir, sourcefile: 'pino-chunk.js', loader: 'js' },
    outfile: path.join(dist, pinoChunk),
  });
  if (warmFixture) {
    const main = fs.readFileSync(outfile, 'utf8').replace(/^#!.*\n/, '');
    const key = crypto.createHash('sha256').update(main).digest('hex').slice(0, 32);
    fs.writeFileSync(path.join(dist, mainName), `//${key}\n${main}`);
    fs.writeFileSync(outfile, loaderSource());
  }
  if (!fs.readFileSync(outfile, 'latin1').startsWith('#!/usr/bin/env node\n')) throw new Error(`${outfile}: no shebang line`);
  fs.chmodSync(outfile, 0o755);
  if (warmFixture) await warmUp(path.resolve(pkgDir, warmFixture));
  if (r.metafile) process.stdout.write(await esbuild.analyzeMetafile(r.metafile));
}

main().catch((err) => {
  process.stderr.write(`bundle-plugin: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
