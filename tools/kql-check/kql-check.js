#!/usr/bin/env node
// kql-check.js — offline KQL syntax and semantic checker for the queries `acs-triage kql` writes.
//
// Uses Microsoft's Kusto.Language (C#) compiled to JavaScript, shipped in the npm package
// @kusto/language-service-next. The library is loaded ONCE and then every file is checked
// against a schema built from rules/log-analytics-tables.json (or any file of the same shape).
//
// Usage:
//   node kql-check.js --schema rules/log-analytics-tables.json [options] file1.kql [file2.kql ...]
//
// Options:
//   --schema FILE      tables/columns JSON ({"database": "...", "tables":[{"name","columns":[{"name","type"}]}]}).
//                      May be given several times (tables are merged into one database).
//                      Without any --schema only syntax is checked (KustoCode.Parse).
//   --target adx|la    adx (default): plain Kusto.Language (it models the ADX engine).
//                      la: Log Analytics flavour: adds workspace("..."), app("..."), resource("...")
//                      as functions returning the schema's database (so workspace("w").ACSCallSummary
//                      checks), and reports control commands (".show ...") as error KQLC002, since the
//                      Log Analytics query API runs queries only.
//   --param NAME:TYPE  declare an ambient scalar (e.g. a value a caller substitutes), repeatable.
//   --blocks           treat blank-line-separated blocks of a file as separate queries
//                      (Kusto Explorer / Log Analytics portal convention). Default: whole file = one query.
//   --analyzers        also run Kusto's analyzers (warnings/suggestions, e.g. KS500 "avoid 'contains'",
//                      KS501 "avoid isnull on string arguments, use isempty()", KS508 "join without kind").
//   --werror           treat warnings as errors for the exit status.
//   --no-lint          switch off this script's own lint KQLC001 (warning): '==', '!=', 'in', '!in', ...
//                      comparing a string with a number or a bool (TPE == "true"). Kusto.Language accepts e.g.
//                      `ParticipantEndSubCode == 3112` (string column vs long) without a word.
//   --result-schema    after the diagnostics of each file, print its result columns:
//                      `file: result: Name:type, ...` (what the query would return).
//   --json             print one JSON object per diagnostic instead of the text format.
//   -q, --quiet        print nothing for files without diagnostics (default prints nothing anyway;
//                      with --verbose each OK file is listed).
//   --verbose          print "file: ok" for files without diagnostics and timing on stderr.
//   -                  read one query from stdin (reported as "<stdin>").
//
// Output: one line per diagnostic:   file:line:col: severity code message
// Exit status: 0 = no errors, 1 = at least one error (or warning with --werror), 2 = usage / IO error.
'use strict';

const fs = require('fs');
const path = require('path');

function usage(msg) {
  if (msg) process.stderr.write(`kql-check: ${msg}\n`);
  process.stderr.write('usage: node kql-check.js [--schema rules/log-analytics-tables.json] [--target adx|la] [--param NAME:TYPE] ' +
    '[--blocks] [--analyzers] [--werror] [--no-lint] [--result-schema] [--json] [--verbose] file.kql ... | -\n');
  process.exit(2);
}

// ---------- argument parsing ----------
const opts = { schemas: [], params: [], blocks: false, analyzers: false, werror: false, lint: true, resultSchema: false, target: 'adx', json: false, verbose: false, files: [] };
{
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (x === '--schema') { if (i + 1 >= a.length) usage('--schema needs a file'); opts.schemas.push(a[++i]); }
    else if (x.startsWith('--schema=')) opts.schemas.push(x.slice(9));
    else if (x === '--param') { if (i + 1 >= a.length) usage('--param needs NAME:TYPE'); opts.params.push(a[++i]); }
    else if (x.startsWith('--param=')) opts.params.push(x.slice(8));
    else if (x === '--blocks') opts.blocks = true;
    else if (x === '--analyzers') opts.analyzers = true;
    else if (x === '--werror') opts.werror = true;
    else if (x === '--no-lint') opts.lint = false;
    else if (x === '--target' || x.startsWith('--target=')) {
      const v = x === '--target' ? a[++i] : x.slice(9);
      if (v !== 'adx' && v !== 'la') usage(`--target must be adx or la, not '${v}'`);
      opts.target = v;
    }
    else if (x === '--result-schema') opts.resultSchema = true;
    else if (x === '--json') opts.json = true;
    else if (x === '-q' || x === '--quiet') opts.verbose = false;
    else if (x === '--verbose' || x === '-v') opts.verbose = true;
    else if (x === '-h' || x === '--help') usage();
    else if (x === '--') { opts.files.push(...a.slice(i + 1)); break; }
    else if (x.startsWith('--')) usage(`unknown option ${x}`);
    else opts.files.push(x);
  }
  if (opts.files.length === 0) usage('no input files');
}

// ---------- load Kusto.Language once ----------
const tLoad = Date.now();
const pkgDir = path.dirname(require.resolve('@kusto/language-service-next/package.json'));
require(path.join(pkgDir, 'bridge.js'));                  // defines global Bridge / System
require(path.join(pkgDir, 'Kusto.Language.Bridge.js'));   // defines global Kusto.Language
const K = global.Kusto.Language;
const S = K.Symbols;
const loadMs = Date.now() - tLoad;

// Normalise type names that occur in schemas (Log Analytics API uses "int","long","real",
// "string","datetime","bool","dynamic","timespan","guid"; some tools write "boolean","double"...).
const TYPE_ALIASES = {
  boolean: 'bool', double: 'real', float: 'real', int32: 'int', int64: 'long', integer: 'int',
  date: 'datetime', time: 'timespan', uniqueid: 'guid', object: 'dynamic', array: 'dynamic',
  'system.string': 'string', 'system.int32': 'int', 'system.int64': 'long', 'system.double': 'real',
  'system.datetime': 'datetime', 'system.boolean': 'bool', 'system.object': 'dynamic',
  'system.timespan': 'timespan', 'system.guid': 'guid', 'system.sbyte': 'bool', 'system.decimal': 'decimal',
};
function scalarType(t, where) {
  const key = String(t).trim().toLowerCase();
  const name = TYPE_ALIASES[key] || key;
  const sym = S.ScalarTypes.GetSymbol(name);
  if (!sym || sym === S.ScalarTypes.Unknown) usage(`unknown column type '${t}' (${where})`);
  return sym;
}

function buildGlobals(schemaFiles, params) {
  let g = K.GlobalState.Default;
  if (schemaFiles.length > 0) {
    const tables = new Map();
    let dbName = null;
    for (const f of schemaFiles) {
      let js;
      try { js = JSON.parse(fs.readFileSync(f, 'utf8')); } catch (e) { usage(`cannot read schema ${f}: ${e.message}`); }
      dbName = dbName || js.database || 'db';
      for (const t of js.tables || []) {
        const cols = (t.columns || []).map(c => new S.ColumnSymbol(c.name, scalarType(c.type, `${f}: ${t.name}.${c.name}`), null, null, null, null));
        tables.set(t.name, new S.TableSymbol.$ctor4(t.name, cols));
      }
    }
    const db = new S.DatabaseSymbol.ctor(dbName, [...tables.values()]);
    g = g.WithCluster(new S.ClusterSymbol.ctor('local', [db])).WithDatabase(db);
    if (opts.target === 'la') {
      // Log Analytics cross-resource functions; assume the other resource has the same tables.
      const fns = ['workspace', 'app', 'resource'].map(n =>
        new S.FunctionSymbol.$ctor5(n, db, [new S.Parameter.$ctor2('Identifier', S.ScalarTypes.String)]));
      g = g.AddOrUpdateAmbientSymbols(fns);
    }
  }
  if (params.length > 0) {
    const syms = params.map(p => {
      const m = /^([A-Za-z_][A-Za-z0-9_]*):(\w+)$/.exec(p);
      if (!m) usage(`bad --param '${p}', expected NAME:TYPE`);
      return new S.VariableSymbol(m[1], scalarType(m[2], `--param ${p}`), false, null, null);
    });
    g = g.AddOrUpdateAmbientSymbols(syms);
  }
  return g;
}

const globals = buildGlobals(opts.schemas, opts.params);
const semantic = opts.schemas.length > 0;

function toArray(list) {
  const out = [];
  if (!list) return out;
  for (let i = 0; i < list.Count; i++) out.push(list.getItem(i));
  return out;
}

function lineStarts(text) {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) { if (text.charCodeAt(i + 1) === 10) i++; starts.push(i + 1); }
  }
  return starts;
}
function position(starts, offset) {
  let lo = 0, hi = starts.length - 1;
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (starts[mid] <= offset) lo = mid; else hi = mid - 1; }
  return { line: lo + 1, col: offset - starts[lo] + 1 };
}

// Split into blank-line-separated blocks (offset, text), the way Kusto Explorer does.
function splitBlocks(text) {
  const blocks = [];
  const re = /\r?\n[ \t]*(?:\r?\n[ \t]*)+(?=\S|$)/g; // one or more blank lines
  let start = 0, m;
  while ((m = re.exec(text)) !== null) {
    blocks.push({ start, text: text.slice(start, m.index) });
    start = m.index + m[0].length;
  }
  blocks.push({ start, text: text.slice(start) });
  // keep only blocks with something other than comments/whitespace
  return blocks.filter(b => b.text.replace(/\/\/[^\n]*/g, '').trim().length > 0);
}

// KQLC001: equality / membership between a string, a number and a bool (any two of them). Kusto accepts it silently and
// compares after an implicit conversion; on ACS tables (ParticipantEndSubCode, ResultSignature...)
// that usually hides a type mistake. Only run when semantic analysis ran (types are known).
const NUMERIC = new Set(['int', 'long', 'real', 'decimal']);
const CMP_OPS = new Set(['==', '!=', '=~', '!~', '<>']);
function kind(expr) {
  const t = expr && expr.ResultType && expr.ResultType.Name;
  return t === 'string' ? 'string' : t === 'bool' ? 'bool' : NUMERIC.has(t) ? 'number' : null;
}
function typeLints(code) {
  const out = [];
  const add = (node, l, r, op) => out.push({ Code: 'KQLC001', Severity: 'Warning', HasLocation: true,
    Start: node.TextStart, Length: node.Width,
    Message: `'${op}' compares ${l.ResultType.Name} with ${r.ResultType.Name}; convert explicitly (e.g. toint(trim(" ", X)) or tostring(N)).` });
  code.Syntax.WalkNodes(n => {
    if (Bridge.is(n, K.Syntax.BinaryExpression)) {
      const op = n.Operator && n.Operator.Text;
      if (!CMP_OPS.has(op)) return;
      for (let p = n.Parent; p; p = p.Parent) if (Bridge.is(p, K.Syntax.JoinOnClause)) return; // KS242 covers join keys
      const a = kind(n.Left), b = kind(n.Right);
      if (a && b && a !== b) add(n, n.Left, n.Right, op);
    } else if (Bridge.is(n, K.Syntax.InExpression)) {
      const a = kind(n.Left);
      if (!a || !n.Right || !n.Right.Expressions) return;
      const L = n.Right.Expressions;
      for (let i = 0; i < L.Count; i++) {
        const e = L.getItem(i).Element, b = kind(e);
        if (b && b !== a) { add(n, n.Left, e, n.Operator.Text); break; }
      }
    }
  });
  return out;
}

function resultSchema(code) {
  const rt = code.ResultType;
  if (!rt || !rt.Columns) return rt && rt.Name ? `(${rt.Name})` : '(none)';
  const cols = [];
  for (let i = 0; i < rt.Columns.Count; i++) { const c = rt.Columns.getItem(i); cols.push(`${c.Name}:${c.Type.Name}`); }
  return cols.join(', ');
}

function checkText(text, schemaOut) {
  const code = semantic ? K.KustoCode.ParseAndAnalyze(text, globals) : K.KustoCode.Parse(text, globals);
  let diags = toArray(code.GetDiagnostics());
  if (opts.target === 'la' && code.Kind === 'Command')
    diags.push({ Code: 'KQLC002', Severity: 'Error', HasLocation: true, Start: code.Syntax.TextStart, Length: 1,
      Message: 'Control commands are not available through the Log Analytics query API.' });
  if (opts.lint && semantic) diags.push(...typeLints(code));
  if (schemaOut && semantic) schemaOut.push(resultSchema(code));
  if (opts.analyzers && semantic) {
    const svc = new K.Editor.KustoCodeService.ctor(code);
    const seen = new Set(diags.map(d => `${d.Code}@${d.Start}`));
    for (const d of toArray(svc.GetAnalyzerDiagnostics(true))) if (!seen.has(`${d.Code}@${d.Start}`)) diags.push(d);
  }
  return diags;
}

// ---------- main loop ----------
let errors = 0, warnings = 0, filesWithErrors = 0;
const tCheck = Date.now();
for (const file of opts.files) {
  let text;
  const name = file === '-' ? '<stdin>' : file;
  try { text = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8'); }
  catch (e) { process.stderr.write(`kql-check: cannot read ${file}: ${e.message}\n`); process.exitCode = 2; errors++; continue; }
  if (text.charCodeAt(0) === 0xFEFF) text = ' ' + text.slice(1); // BOM -> space keeps offsets
  const starts = lineStarts(text);
  const units = opts.blocks ? splitBlocks(text) : [{ start: 0, text }];
  const out = [];
  const schemas = opts.resultSchema ? [] : null;
  for (const u of units) {
    for (const d of checkText(u.text, schemas)) {
      const off = u.start + (d.HasLocation ? d.Start : 0);
      const { line, col } = position(starts, off);
      const sev = String(d.Severity || 'Error').toLowerCase();
      if (sev === 'error') errors++; else if (sev === 'warning') warnings++;
      out.push({ file: name, line, col, severity: sev, code: d.Code, message: String(d.Message).replace(/\s*\r?\n\s*/g, ' '), start: off, length: d.Length,
        text: text.substr(off, Math.min(Math.max(d.Length, 0), 60)) });
    }
  }
  out.sort((a, b) => a.start - b.start);
  if (out.some(o => o.severity === 'error')) filesWithErrors++;
  for (const o of out) {
    if (opts.json) process.stdout.write(JSON.stringify(o) + '\n');
    else process.stdout.write(`${o.file}:${o.line}:${o.col}: ${o.severity} ${o.code} ${o.message}\n`);
  }
  if (opts.verbose && out.length === 0) process.stdout.write(`${name}: ok\n`);
  if (schemas) for (const sc of schemas) {
    if (opts.json) process.stdout.write(JSON.stringify({ file: name, result: sc }) + '\n');
    else process.stdout.write(`${name}: result: ${sc}\n`);
  }
}
if (opts.verbose) {
  process.stderr.write(`kql-check: ${opts.files.length} file(s), ${errors} error(s), ${warnings} warning(s); ` +
    `load ${loadMs} ms, check ${Date.now() - tCheck} ms${semantic ? '' : ' (syntax only: no --schema)'}\n`);
}
if (process.exitCode !== 2) process.exitCode = (errors > 0 || (opts.werror && warnings > 0)) ? 1 : 0;
