#!/usr/bin/env node
'use strict';
/**
 * `npm run package`: a self-contained release for this machine's architecture.
 *
 *   dist-release/dhcpmgr-VERSION-ARCH.tar.gz   the file tree below, to unpack at /
 *   dist-release/dhcpmgr_VERSION_ARCH.deb      the same tree + control data (dpkg-deb)
 *
 *   usr/bin/dhcp-manager                -> ../lib/dhcpmgr/dhcp-manager.js
 *   usr/bin/dhcpmgr-udhcpc-plugin       -> ../lib/dhcpmgr/dhcpmgr-udhcpc-plugin.js
 *   usr/bin/dhcpmgr-dibbler-plugin      -> ../lib/dhcpmgr/dhcpmgr-dibbler-plugin.js
 *   usr/lib/dhcpmgr/dhcp-manager.js     launcher: checks the Node.js version and addon ABI, then
 *                                       loads dhcp-manager.main.js
 *   usr/lib/dhcpmgr/dhcp-manager.main.js   the manager (CLI + daemon) bundled by esbuild with
 *                                       every JavaScript dependency but the MQTT client
 *   usr/lib/dhcpmgr/dhcp-manager.mqtt.js   the MQTT client library (mqtt and its dependencies),
 *                                       loaded by the daemon only when --mqtt-url is set
 *   usr/lib/dhcpmgr/{style.css,app.js}  the status page's static files
 *   usr/lib/dhcpmgr/dhcpmgr-*-plugin.*  the plugins as their bundle script makes them (loader,
 *                                       main file, V8 code cache, pino side chunk)
 *   usr/lib/dhcpmgr/node_modules/PKG/   each native addon package: package.json, index.js (its
 *                                       JavaScript bundled, `bindings` replaced by a direct load)
 *                                       and the built .node files it loads; nothing else
 *   lib/systemd/system/dhcp-manager.service, etc/dhcpmgr/{manager,plugin}.json (conffiles),
 *   usr/share/doc/dhcpmgr/copyright
 *
 * Which packages are native is found, not listed: a dependency the bundler meets whose package
 * has a binding.gyp or built .node files stays outside the bundle and is shipped as above; every
 * other dependency is bundled. New pure-JS dependencies need no change here.
 *
 * Options: --no-build (use the current build), --out DIR (default dist-release/),
 * --arch DEBARCH (name the package for another architecture whose addons are already built in
 * node_modules, see docs/operations.md "Cross-building"; the plugins then get no code cache,
 * because their warm-up call cannot load a foreign addon here). $STRIP and $OBJDUMP name the
 * binutils for the addons' architecture.
 */
const fs = require('fs');
const path = require('path');
const { builtinModules } = require('module');
const { execFileSync, spawnSync } = require('child_process');
const esbuild = require('esbuild');

const ROOT = path.resolve(__dirname, '..');
const argv = process.argv.slice(2);
const outDir = path.resolve(argv.includes('--out') ? argv[argv.indexOf('--out') + 1] : path.join(ROOT, 'dist-release'));
const LIB = 'usr/lib/dhcpmgr';
const MANAGER_DIR = path.join(ROOT, 'packages', 'dhcp-manager');

function log(msg) {
  process.stdout.write(`package: ${msg}\n`);
}

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: ROOT, ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
}

/** Debian's name for this machine's architecture (dpkg's, else mapped from node's). */
function debArch() {
  if (argv.includes('--arch')) return argv[argv.indexOf('--arch') + 1];
  try {
    return execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
  } catch {
    const map = { x64: 'amd64', arm64: 'arm64', arm: 'armhf', ia32: 'i386', ppc64: 'ppc64el', s390x: 's390x', riscv64: 'riscv64' };
    if (!map[process.arch]) throw new Error(`no Debian architecture name for node's ${process.arch}`);
    return map[process.arch];
  }
}

// ---------------------------------------------------------------- native addon packages

/** `name` of a bare import (`@scope/x/y` -> `@scope/x`, `x/y` -> `x`), or undefined. */
function packageName(spec) {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) return undefined;
  const parts = spec.split('/');
  const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return builtinModules.includes(name) ? undefined : name;
}

/** The directory of package `name` as node would find it from `fromDir`. */
function packageDir(name, fromDir) {
  for (let d = fromDir; ; d = path.dirname(d)) {
    const candidate = path.join(d, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return fs.realpathSync(candidate);
    if (path.dirname(d) === d) return undefined;
  }
}

function builtAddons(dir) {
  const rel = path.join(dir, 'build', 'Release');
  return fs.existsSync(rel) ? fs.readdirSync(rel).filter((f) => f.endsWith('.node')) : [];
}

function isNative(dir) {
  return fs.existsSync(path.join(dir, 'binding.gyp')) || builtAddons(dir).length > 0;
}

/** Native packages met while bundling: name -> directory. */
const natives = new Map();

/** esbuild plugin: a native package (and any path inside it) stays outside, and is recorded. */
const nativeOutside = {
  name: 'native-outside',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (a) => {
      const name = packageName(a.path);
      if (!name) return undefined;
      const dir = packageDir(name, a.resolveDir || ROOT);
      if (!dir || !isNative(dir)) return undefined;
      natives.set(name, dir);
      return { path: a.path, external: true };
    });
  },
};

/**
 * `require('bindings')(NAME)` inside a native package, replaced by a load of
 * build/Release/NAME next to the shipped index.js (what bindings finds first in a release build,
 * without its search through the call stack and a dozen candidate paths).
 */
const BINDINGS_SHIM = `
const path = require('path');
module.exports = function bindings(opts) {
  let name = typeof opts === 'string' ? opts : opts.bindings;
  if (!name.endsWith('.node')) name += '.node';
  return require(path.join(__dirname, 'build', 'Release', name));
};`;
const bindingsShim = {
  name: 'bindings-shim',
  setup(build) {
    build.onResolve({ filter: /^bindings$/ }, () => ({ path: 'bindings', namespace: 'bindings-shim' }));
    build.onLoad({ filter: /.*/, namespace: 'bindings-shim' }, () => ({ contents: BINDINGS_SHIM, loader: 'js', resolveDir: ROOT }));
  },
};

/** The .node file names a package's JavaScript names (`'better_sqlite3.node'`), else all built. */
function addonsNamed(dir, jsFiles) {
  const built = builtAddons(dir);
  const named = new Set();
  for (const f of jsFiles) {
    for (const m of fs.readFileSync(f, 'utf8').matchAll(/['"]([\w.-]+?)(\.node)?['"]/g)) {
      if (built.includes(`${m[1]}.node`)) named.add(`${m[1]}.node`);
    }
  }
  return named.size ? [...named] : built;
}

/**
 * Symbols and debug sections out of a built addon ($STRIP, e.g. aarch64-linux-gnu-strip when
 * cross-building; `strip` by default). Skipped with a note when the tool is missing.
 */
function strip(file) {
  const tool = process.env.STRIP || 'strip';
  const r = spawnSync(tool, ['--strip-unneeded', file], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.error || r.status !== 0) log(`not stripped: ${path.basename(file)} (${r.error ? r.error.message : r.stderr.trim()})`);
}

async function shipNative(name, dir, stage) {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const to = path.join(stage, LIB, 'node_modules', name);
  fs.mkdirSync(path.join(to, 'build', 'Release'), { recursive: true });
  const entry = require.resolve(dir);
  const r = await esbuild.build({
    entryPoints: [entry], bundle: true, platform: 'node', target: 'node20', format: 'cjs',
    outfile: path.join(to, 'index.js'), legalComments: 'none', logLevel: 'warning', minify: true,
    plugins: [bindingsShim, nativeOutside], metafile: true,
  });
  const jsFiles = Object.keys(r.metafile.inputs).filter((f) => !f.includes(':')).map((f) => path.resolve(ROOT, f));
  const addons = addonsNamed(dir, jsFiles);
  for (const a of addons) {
    const file = path.join(to, 'build', 'Release', a);
    fs.copyFileSync(path.join(dir, 'build', 'Release', a), file);
    fs.chmodSync(file, 0o644);
    strip(file);
  }
  fs.writeFileSync(path.join(to, 'package.json'), `${JSON.stringify({ name, version: pkg.version, license: pkg.license, main: 'index.js' }, null, 2)}\n`);
  const license = fs.readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  if (license) fs.copyFileSync(path.join(dir, license), path.join(to, 'LICENSE'));
  log(`native ${name}@${pkg.version}: index.js + ${addons.join(', ')}`);
  return addons.map((a) => path.join(to, 'build', 'Release', a));
}

// ---------------------------------------------------------------- the manager and plugins

async function bundleManager(stage) {
  const lib = path.join(stage, LIB);
  const common = { bundle: true, platform: 'node', format: 'cjs', legalComments: 'none', logLevel: 'warning' };
  // The main file and the MQTT file: names kept so that stack traces stay readable.
  const shipped = { ...common, target: 'node20', minifyWhitespace: true, minifySyntax: true, metafile: true };
  /** esbuild plugin: an import matching `filter` is left as a require of the file `file` beside it. */
  const toFile = (name, filter, file) => ({
    name,
    setup(build) {
      build.onResolve({ filter }, () => ({ path: file, external: true }));
    },
  });
  // The CLI and daemon with every JS dependency.
  // The MQTT client library (about half of all the JavaScript) is a file of its own, which the
  // daemon loads only with --mqtt-url: node keeps the source of every file it loads in memory.
  const r = await esbuild.build({
    ...shipped,
    entryPoints: [path.join(MANAGER_DIR, 'dist', 'cli', 'index.js')],
    outfile: path.join(lib, 'dhcp-manager.main.js'),
    plugins: [nativeOutside, toFile('mqtt-apart', /^mqtt$/, './dhcp-manager.mqtt.js'), {
      // Node's assert module (and three internal modules it loads) would stay in the daemon's
      // memory for its whole life for a handful of argument checks in yargs, sonic-boom and
      // thread-stream; inside the bundle those packages get scripts/assert-lite.js, which has the
      // functions they call. Any other importer keeps node's assert.
      name: 'assert-lite',
      setup(build) {
        build.onResolve({ filter: /^(node:)?assert$/ }, (a) => (/[\\/]node_modules[\\/](yargs|sonic-boom|thread-stream)[\\/]/.test(a.importer)
          ? { path: path.join(ROOT, 'scripts', 'assert-lite.js') } : undefined));
      },
    }],
  });
  const mqtt = await esbuild.build({
    ...shipped,
    entryPoints: [require.resolve('mqtt', { paths: [path.join(MANAGER_DIR, 'dist', 'export')] })],
    outfile: path.join(lib, 'dhcp-manager.mqtt.js'),
    plugins: [nativeOutside],
  });
  // The launcher: bin.js with its version check compiled for old engines (so that an old Node
  // parses it and says why it refuses) and `./cli` pointing at the main file.
  await esbuild.build({
    ...common, target: 'es2017', minify: false,
    entryPoints: [path.join(MANAGER_DIR, 'dist', 'bin.js')],
    outfile: path.join(lib, 'dhcp-manager.js'),
    define: { DHCPMGR_BUILT_ABI: JSON.stringify(process.versions.modules) },
    plugins: [toFile('cli-to-main', /^\.\/cli$/, './dhcp-manager.main.js')],
  });
  for (const f of [...Object.keys(r.metafile.inputs), ...Object.keys(mqtt.metafile.inputs)]) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f.slice(f.lastIndexOf('node_modules/')));
    if (m) bundled.add(m[1]);
  }
  // The status page's CSS and browser script: http/page/render.ts reads them from the directory
  // of the code that renders the page, which in the bundle is this one.
  const page = path.join(MANAGER_DIR, 'dist', 'http', 'page');
  for (const f of ['style.css', 'app.js']) fs.copyFileSync(path.join(page, f), path.join(lib, f));
  const launcher = path.join(lib, 'dhcp-manager.js');
  if (!fs.readFileSync(launcher, 'utf8').startsWith('#!/usr/bin/env node\n')) throw new Error('manager launcher: no shebang line');
  fs.chmodSync(launcher, 0o755);
}

/** Third-party packages inside the manager bundle (for the copyright file). */
const bundled = new Set();

/** usr/share/doc/dhcpmgr/copyright: this project's licence and every third-party package's. */
function copyright() {
  const lines = ['dhcpmgr is licensed under the Apache License, Version 2.0',
    '(/usr/share/common-licenses/Apache-2.0 on Debian, https://www.apache.org/licenses/LICENSE-2.0).',
    '', 'It contains these third-party packages (name@version: licence):'];
  const names = new Set([...bundled, ...natives.keys(), 'pino']);
  for (const name of [...names].sort()) {
    const dir = packageDir(name, MANAGER_DIR);
    if (!dir) continue;
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    lines.push(`  ${name}@${pkg.version}: ${typeof pkg.license === 'string' ? pkg.license : JSON.stringify(pkg.license)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Workspace packages whose bundle script is bundle-plugin.js: the plugin executables. */
function pluginPackages() {
  const dirs = fs.readdirSync(path.join(ROOT, 'packages')).map((d) => path.join(ROOT, 'packages', d));
  return dirs.filter((d) => {
    const f = path.join(d, 'package.json');
    if (!fs.existsSync(f)) return false;
    const pkg = JSON.parse(fs.readFileSync(f, 'utf8'));
    return pkg.bin && /bundle-plugin\.js/.test((pkg.scripts && pkg.scripts.bundle) || '');
  }).map((d) => ({ dir: d, pkg: JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8')) }));
}

/** Each plugin bundled again into the package, finding nanomsg at its place there. */
function bundlePlugins(stage, cross) {
  const lib = path.join(stage, LIB);
  const bins = [];
  for (const { dir, pkg } of pluginPackages()) {
    // The package's own bundle script (its fixture for the code cache), into the package's dir.
    sh('npm', ['run', '--silent', 'bundle', '--', '--out', lib, '--addon', 'node_modules/nanomsg/build/Release/node_nanomsg.node',
      ...(cross ? ['--no-warm'] : [])], { cwd: dir });
    for (const [binName, file] of Object.entries(pkg.bin)) bins.push({ binName, file: path.basename(file) });
  }
  return bins;
}

// ---------------------------------------------------------------- control data, archives

/** Highest GLIBC_x.y symbol version the addons need (objdump), for the libc6 dependency. */
function glibcNeeded(files) {
  let best;
  for (const f of files) {
    let out = '';
    try {
      out = execFileSync(process.env.OBJDUMP || 'objdump', ['-T', f], { encoding: 'utf8', maxBuffer: 64 << 20 });
    } catch {
      return undefined;
    }
    for (const m of out.matchAll(/GLIBC_(\d+)\.(\d+)(?:\.(\d+))?/g)) {
      const v = [Number(m[1]), Number(m[2]), Number(m[3] || 0)];
      if (!best || v[0] > best[0] || (v[0] === best[0] && (v[1] > best[1] || (v[1] === best[1] && v[2] > best[2])))) best = v;
    }
  }
  return best && best.slice(0, best[2] ? 3 : 2).join('.');
}

function dirSize(dir) {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) n += dirSize(p);
    else if (e.isFile()) n += fs.statSync(p).size;
  }
  return n;
}

function control(version, arch, stage, addons) {
  const glibc = glibcNeeded(addons);
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  return [
    'Package: dhcpmgr',
    `Version: ${version}`,
    `Architecture: ${arch}`,
    'Maintainer: dhcpmgr maintainers <dhcpmgr@localhost>',
    'Section: net',
    'Priority: optional',
    // The addons are built against this Node's ABI: another major version cannot load them.
    `Depends: nodejs (>= ${nodeMajor}), nodejs (<< ${nodeMajor + 1}), ${glibc ? `libc6 (>= ${glibc})` : 'libc6'}, libstdc++6, libgcc-s1 | libgcc1`,
    `Installed-Size: ${Math.ceil(dirSize(stage) / 1024)}`,
    'Description: DHCP lease monitor for broadband gateways (RDK-B compatible)',
    ' The DHCP manager daemon (TR-181 DHCPv4/DHCPv6 client model, SQLite store, HTTP API)',
    ' and the udhcpc and dibbler-client plugins that hand it their leases.',
    '',
  ].join('\n');
}

async function main() {
  const version = JSON.parse(fs.readFileSync(path.join(MANAGER_DIR, 'package.json'), 'utf8')).version;
  const arch = debArch();
  const base = `dhcpmgr-${version}-${arch}`;
  if (!argv.includes('--no-build')) sh('npm', ['run', 'build']);
  const t0 = Date.now();
  const work = path.join(outDir, 'work');
  const stage = path.join(work, base);
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(path.join(stage, LIB), { recursive: true });

  await bundleManager(stage);
  // Native packages first: the plugins' warm-up run loads nanomsg from the package's tree.
  const addons = [];
  for (const [name, dir] of [...natives]) addons.push(...await shipNative(name, dir, stage));
  // The plugins are bundled by their own script, which always keeps nanomsg outside.
  if (!natives.has('nanomsg')) addons.push(...await shipNative('nanomsg', packageDir('nanomsg', MANAGER_DIR), stage));
  const hostArch = (() => { try { return execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim(); } catch { return undefined; } })();
  const cross = argv.includes('--arch') && arch !== hostArch;
  if (cross) log(`cross-build for ${arch}: plugins without a code cache`);
  const bins = bundlePlugins(stage, cross);
  // A native package that another native package's JavaScript requires was met only now.
  for (const [name, dir] of natives) {
    if (!fs.existsSync(path.join(stage, LIB, 'node_modules', name))) addons.push(...await shipNative(name, dir, stage));
  }

  const usrBin = path.join(stage, 'usr', 'bin');
  fs.mkdirSync(usrBin, { recursive: true });
  fs.symlinkSync('../lib/dhcpmgr/dhcp-manager.js', path.join(usrBin, 'dhcp-manager'));
  for (const b of bins) fs.symlinkSync(`../lib/dhcpmgr/${b.file}`, path.join(usrBin, b.binName));

  const unitDir = path.join(stage, 'lib', 'systemd', 'system');
  fs.mkdirSync(unitDir, { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'packaging', 'dhcp-manager.service'), path.join(unitDir, 'dhcp-manager.service'));
  const etc = path.join(stage, 'etc', 'dhcpmgr');
  fs.mkdirSync(etc, { recursive: true });
  for (const f of ['manager.json', 'plugin.json']) fs.copyFileSync(path.join(ROOT, 'packaging', f), path.join(etc, f));
  const doc = path.join(stage, 'usr', 'share', 'doc', 'dhcpmgr');
  fs.mkdirSync(doc, { recursive: true });
  fs.writeFileSync(path.join(doc, 'copyright'), copyright());

  // Modes as installed: directories 755, files 644, executables 755 (umask-independent).
  const normalize = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) { fs.chmodSync(p, 0o755); normalize(p); } else if (e.isFile()) {
        fs.chmodSync(p, fs.readFileSync(p, 'latin1').slice(0, 2) === '#!' ? 0o755 : 0o644);
      }
    }
  };
  normalize(stage);
  fs.chmodSync(stage, 0o755);

  fs.mkdirSync(outDir, { recursive: true });
  const tarball = path.join(outDir, `${base}.tar.gz`);
  const deb = path.join(outDir, `dhcpmgr_${version}_${arch}.deb`);
  // Tarball: the tree alone, root-owned, to unpack with `tar -xzf FILE -C /`.
  sh('tar', ['--owner=0', '--group=0', '--numeric-owner', '--sort=name', '-czf', tarball, '-C', stage, 'etc', 'lib', 'usr']);

  const debRoot = path.join(work, 'deb');
  fs.cpSync(stage, debRoot, { recursive: true, verbatimSymlinks: true });
  const DEBIAN = path.join(debRoot, 'DEBIAN');
  fs.mkdirSync(DEBIAN, { mode: 0o755 });
  fs.writeFileSync(path.join(DEBIAN, 'control'), control(version, arch, stage, addons));
  fs.writeFileSync(path.join(DEBIAN, 'conffiles'), '/etc/dhcpmgr/manager.json\n/etc/dhcpmgr/plugin.json\n');
  for (const s of ['postinst', 'prerm', 'postrm']) {
    fs.copyFileSync(path.join(ROOT, 'packaging', 'debian', s), path.join(DEBIAN, s));
    fs.chmodSync(path.join(DEBIAN, s), 0o755);
  }
  sh('dpkg-deb', ['--build', '--root-owner-group', '-Zxz', debRoot, deb], { stdio: ['ignore', 'ignore', 'inherit'] });
  fs.rmSync(debRoot, { recursive: true, force: true });

  log(`${path.relative(ROOT, tarball)}: ${fs.statSync(tarball).size} bytes`);
  log(`${path.relative(ROOT, deb)}: ${fs.statSync(deb).size} bytes (installed ${dirSize(stage)} bytes)`);
  log(`packaged in ${Date.now() - t0} ms`);
}

main().catch((err) => {
  process.stderr.write(`package: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
