#!/usr/bin/env node
'use strict';
/**
 * Which parts of the node binary a process has in memory: its resident code pages (the "code"
 * half of the memory suite's RSS split) attributed to the binary's symbols, grouped by what they
 * are (V8's optimizing compiler, the parser, the collectors, ICU's data, ...).
 *
 *   node bench/micro/code-pages.js PID [PID ...]      one column per process, MiB per group
 *   node bench/micro/code-pages.js --top 40 PID        also the 40 largest symbols of the first
 *                                                     PID that the others do not have resident
 *
 * Needs root (/proc/PID/pagemap gives page frame presence only to root) and a node binary with
 * its symbol table (Debian's and nodejs.org's have one); reads `nm` once per run. A page is
 * counted when it is present in the process's page table (what RSS counts), and attributed to
 * the symbol covering the middle of the page.
 */
const fs = require('fs');
const { execFileSync } = require('child_process');

const PAGE = 4096;

function parseArgs(argv) {
  const pids = [];
  let top = 0;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--top') top = Number(argv[++i]);
    else if (/^\d+$/.test(argv[i])) pids.push(Number(argv[i]));
    else throw new Error(`unknown argument ${argv[i]}: expected PIDs and --top N`);
  }
  if (pids.length === 0) throw new Error('usage: code-pages.js [--top N] PID [PID ...]');
  return { pids, top };
}

/** The node binary's mappings in a process: [{ start, end, offset }] (addresses as BigInt). */
function binaryMappings(pid, binary) {
  const out = [];
  for (const line of fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || f[5] !== binary) continue;
    const [a, b] = f[0].split('-');
    out.push({ start: BigInt(`0x${a}`), end: BigInt(`0x${b}`), offset: BigInt(`0x${f[2]}`) });
  }
  return out;
}

/** Virtual addresses of the resident pages in [start, end). */
function residentPages(pid, { start, end }) {
  const fd = fs.openSync(`/proc/${pid}/pagemap`, 'r');
  try {
    const n = Number((end - start) / BigInt(PAGE));
    const buf = Buffer.alloc(n * 8);
    fs.readSync(fd, buf, 0, buf.length, Number((start / BigInt(PAGE)) * 8n));
    const pages = [];
    for (let i = 0; i < n; i++) {
      if (buf.readBigUInt64LE(i * 8) >> 63n) pages.push(start + BigInt(i * PAGE));
    }
    return pages;
  } finally {
    fs.closeSync(fd);
  }
}

/** Symbols of the binary sorted by address: { addr: number[], size: number[], name: string[] }. */
function symbols(binary) {
  const text = execFileSync('nm', ['-C', '--defined-only', '-S', binary], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const rows = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) \S (.*)$/.exec(line);
    if (m) rows.push([parseInt(m[1], 16), parseInt(m[2], 16), m[3]]);
  }
  rows.sort((x, y) => x[0] - y[0]);
  return { addr: rows.map((r) => r[0]), size: rows.map((r) => r[1]), name: rows.map((r) => r[2]) };
}

function symbolAt(syms, a) {
  let lo = 0;
  let hi = syms.addr.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (syms.addr[mid] <= a) lo = mid;
    else hi = mid - 1;
  }
  return syms.addr[lo] <= a && a < syms.addr[lo] + Math.max(syms.size[lo], 1) ? syms.name[lo] : undefined;
}

/** What a symbol is part of. Order matters: the first match wins. */
const GROUPS = [
  ['ICU data', /^icudt/],
  ['ICU code', /^icu_\d+::|^u[a-z]*_\w+_\d+$|^U[A-Z]\w*_\d+$/],
  ['V8 builtins (embedded)', /^Builtins_/],
  ['V8 optimizing compiler (TurboFan)', /^v8::internal::compiler::/],
  ['V8 Maglev', /^v8::internal::maglev::/],
  ['V8 baseline compiler (Sparkplug)', /^v8::internal::baseline::/],
  ['V8 code generation (assemblers)', /^v8::internal::(Assembler|MacroAssembler|TurboAssembler|CodeStubAssembler|RelocInfo|Code(Desc|Reference)|AssemblerBase|ExternalReference)/],
  ['V8 regexp', /^v8::internal::(RegExp|Irregexp|regexp)/],
  ['V8 parser', /^v8::internal::(Parser|PreParser|ParserBase|Scanner|Scope|DeclarationScope|ClassScope|AstValueFactory|AstNodeFactory|AstRawString|FuncNameInferrer|ExpressionScope|Utf16CharacterStream|PreparseData|ProducedPreparseData|ConsumedPreparseData|ZonePreparseData|ParseInfo|UnoptimizedCompileFlags)/],
  ['V8 bytecode (interpreter, generator)', /^v8::internal::interpreter::|^v8::internal::(BytecodeArray|Bytecodes|ConstantArrayBuilder)/],
  ['V8 heap and collectors', /^(v8::internal::(Heap|MarkCompact|MinorMarkCompact|Scavenger|ScavengeJob|Sweeper|Marking|MarkingVisitor|ConcurrentMarking|IncrementalMarking|MemoryAllocator|MemoryReducer|PagedSpace|NewSpace|SemiSpace|LargeObjectSpace|OldLargeObjectSpace|Evacuat|RememberedSet|SlotSet|TypedSlot|LocalHeap|GCTracer|MemoryChunk|Page|ObjectStats|ArrayBufferSweeper|ScavengerCollector|FullEvacuator|RecordMigratedSlotVisitor|ObjectVisitor|EmbedderStackState|StackGuard|WeakObjects|GlobalHandles|CppHeap|LinearAllocationArea|SpaceWithLinearArea|MainAllocator|Isolate::CollectGarbage))|^cppgc::|^heap::base::/],
  ['V8 compile pipeline, deoptimizer, tiering', /^v8::internal::(Compiler|OptimizingCompileDispatcher|LazyCompileDispatcher|Deoptimizer|TranslatedState|TieringManager|SharedFunctionInfo|JSFunction|FeedbackVector|FeedbackNexus|CodeDataContainer|OptimizedCompilationInfo|TurbofanCompilationJob|UnoptimizedCompilationJob|BackgroundCompileTask)/],
  ['V8 runtime and objects (other)', /^v8::internal::|^v8::base::|^v8_inspector::|^v8::platform::|^v8::/],
  ['node', /^node::|^uvwasi|^napi_|^node_/],
  ['libuv', /^uv_|^uv__/],
  ['OpenSSL', /^(SSL|EVP|ERR|OPENSSL|CRYPTO|BN|ASN1|X509|PEM|OBJ|RAND|EC_|ossl|bio|BIO)_/],
  ['zlib, brotli, nghttp2, llhttp, ada, simdutf', /^(inflate|deflate|crc32|adler32|Brotli|k[A-Z]\w*Dictionary|nghttp2|llhttp|ada::|simdutf)/],
];

/** ELF sections of the binary: [{ name, start, end }] (readelf -SW). */
function sections(binary) {
  const out = [];
  for (const line of execFileSync('readelf', ['-SW', binary], { encoding: 'utf8' }).split('\n')) {
    const m = /\]\s+(\S+)\s+\S+\s+([0-9a-f]{16})\s+[0-9a-f]+\s+([0-9a-f]+)/.exec(line);
    if (m && parseInt(m[2], 16) > 0) out.push({ name: m[1], start: parseInt(m[2], 16), end: parseInt(m[2], 16) + parseInt(m[3], 16) });
  }
  return out;
}

function groupOf(name, addr, secs) {
  if (name === undefined) {
    const sec = secs.find((x) => x.start <= addr && addr < x.end);
    return `no symbol, in ${sec ? sec.name : 'no section'}`;
  }
  for (const [g, re] of GROUPS) if (re.test(name)) return g;
  return 'other named code and data';
}

function main() {
  const { pids, top } = parseArgs(process.argv.slice(2));
  const binary = fs.readlinkSync(`/proc/${pids[0]}/exe`);
  const syms = symbols(binary);
  const secs = sections(binary);
  const perPid = pids.map((pid) => {
    const byGroup = new Map();
    const bySym = new Map();
    let total = 0;
    for (const m of binaryMappings(pid, binary)) {
      for (const page of residentPages(pid, m)) {
        const name = symbolAt(syms, Number(page) + PAGE / 2);
        const g = groupOf(name, Number(page) + PAGE / 2, secs);
        byGroup.set(g, (byGroup.get(g) ?? 0) + 1);
        const key = name ?? '?';
        bySym.set(key, (bySym.get(key) ?? 0) + 1);
        total++;
      }
    }
    return { pid, byGroup, bySym, total };
  });
  const mib = (pages) => ((pages * PAGE) / 1048576).toFixed(2);
  const groups = [...new Set(perPid.flatMap((p) => [...p.byGroup.keys()]))].sort(
    (a, b) => (perPid[0].byGroup.get(b) ?? 0) - (perPid[0].byGroup.get(a) ?? 0),
  );
  console.log(`resident pages of ${binary}, MiB`);
  console.log(`| group | ${pids.map((p) => `pid ${p}`).join(' | ')} |`);
  console.log(`|---|${pids.map(() => '---:').join('|')}|`);
  for (const g of groups) console.log(`| ${g} | ${perPid.map((p) => mib(p.byGroup.get(g) ?? 0)).join(' | ')} |`);
  console.log(`| total | ${perPid.map((p) => mib(p.total)).join(' | ')} |`);
  if (top > 0) {
    const [first, ...rest] = perPid;
    const extra = [...first.bySym.entries()]
      .map(([name, n]) => [name, n - Math.max(0, ...rest.map((p) => p.bySym.get(name) ?? 0))])
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, top);
    console.log(`\nsymbols pid ${first.pid} has resident beyond the others (pages):`);
    for (const [name, n] of extra) console.log(`${String(n).padStart(6)}  ${name.slice(0, 150)}`);
  }
}

main();
