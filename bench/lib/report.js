'use strict';
/** The printed table (plain text for the terminal) and markdown rows for docs/performance.md. */

const COLS = [
  ['group', 'benchmark'], ['what', 'measure'], ['result', 'result'], ['baseline', 'baseline (same run)'],
  ['ratio', 'ratio'], ['target', 'target'], ['verdict', 'verdict'],
];

function cell(v) {
  return v === undefined || v === null ? '' : String(v);
}

function table(rows) {
  const widths = COLS.map(([k, h]) => Math.min(60, Math.max(h.length, ...rows.map((r) => cell(r[k]).length))));
  const line = (vals) => vals.map((v, i) => v.slice(0, widths[i]).padEnd(widths[i])).join(' | ');
  const out = [line(COLS.map(([, h]) => h)), widths.map((w) => '-'.repeat(w)).join('-+-')];
  for (const r of rows) out.push(line(COLS.map(([k]) => cell(r[k]))));
  for (const r of rows) if (r.note) out.push(`  note (${r.what}): ${r.note}`);
  return out.join('\n');
}

function markdown(rows) {
  const out = [`| ${COLS.map(([, h]) => h).join(' | ')} |`, `|${COLS.map(() => '---').join('|')}|`];
  for (const r of rows) out.push(`| ${COLS.map(([k]) => cell(r[k]).replace(/\|/g, '\\|')).join(' | ')} |`);
  return out.join('\n');
}

module.exports = { table, markdown };
