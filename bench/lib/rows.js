'use strict';
/** Builders for result rows: each figure beside its same-run baseline, with target and verdict. */
const { fmt } = require('./util');

/** A "lower is better" ratio row (wall time, memory): pass when ratio <= max. */
function ratioRow(group, what, value, base, unit, max, extra = {}) {
  const f = unit === 'ms' ? fmt.ms : fmt.mib;
  const ratio = value / base.value;
  return {
    group, what, result: f(value), baseline: `${f(base.value)} (${base.label})`, ratio: fmt.ratio(ratio),
    target: max === undefined ? undefined : `<= ${max}x`, pass: max === undefined ? undefined : ratio <= max,
    value, baseValue: base.value, ratioValue: ratio, ...extra,
  };
}

/** A rate row: pass when rate >= min (absolute) and/or ratio >= minRatio. */
function rateRow(group, what, rate, base, { min, minRatio, note } = {}) {
  const ratio = base ? rate / base.value : undefined;
  const targets = [];
  let pass;
  if (min !== undefined) { targets.push(`>= ${fmt.rate(min)}`); pass = rate >= min; }
  if (minRatio !== undefined) { targets.push(`>= ${minRatio}x`); pass = (pass ?? true) && ratio >= minRatio; }
  return {
    group, what, result: fmt.rate(rate), baseline: base ? `${fmt.rate(base.value)} (${base.label})` : '',
    ratio: ratio === undefined ? '' : fmt.ratio(ratio), target: targets.length ? targets.join(', ') : undefined,
    pass, value: rate, baseValue: base?.value, ratioValue: ratio, note,
  };
}

module.exports = { ratioRow, rateRow };
