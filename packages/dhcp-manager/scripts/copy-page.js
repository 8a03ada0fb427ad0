// tsc -b compiles only .ts: copy the status page's static files (CSS, browser JS) into dist.
const fs = require('fs');
const path = require('path');
const from = path.join(__dirname, '..', 'src', 'http', 'page');
const to = path.join(__dirname, '..', 'dist', 'http', 'page');
fs.mkdirSync(to, { recursive: true });
for (const name of fs.readdirSync(from)) {
  if (/\.(css|js)$/.test(name)) fs.copyFileSync(path.join(from, name), path.join(to, name));
}
