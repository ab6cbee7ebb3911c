// require('path'): POSIX paths as Node.js joins, resolves and splits them;
// resolve starts from the bundle's root.
function check(name, p) {
  if (typeof p !== 'string') {
    throw internals.module('_inspect').argTypeError(name, 'string', p);
  }
}

// tidy folds '.', '..' and repeated slashes out of p's segments; a
// relative path keeps the '..' that climb above its start.
function tidy(p, relative) {
  var out = [];
  var parts = p.split('/');
  for (var i = 0; i < parts.length; i++) {
    var s = parts[i];
    if (s === '' || s === '.') continue;
    if (s === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (relative) out.push('..');
      continue;
    }
    out.push(s);
  }
  return out.join('/');
}

function normalize(p) {
  check('path', p);
  if (p === '') return '.';
  var absolute = p[0] === '/';
  var slashEnd = p[p.length - 1] === '/';
  var body = tidy(p, !absolute);
  if (body === '') {
    if (absolute) return '/';
    return slashEnd ? './' : '.';
  }
  if (slashEnd) body += '/';
  return absolute ? '/' + body : body;
}

function join() {
  var parts = [];
  for (var i = 0; i < arguments.length; i++) {
    check('path', arguments[i]);
    if (arguments[i] !== '') parts.push(arguments[i]);
  }
  return parts.length === 0 ? '.' : normalize(parts.join('/'));
}

function resolve() {
  var p = '';
  for (var i = arguments.length - 1; i >= 0 && p[0] !== '/'; i--) {
    check('paths[' + i + ']', arguments[i]);
    if (arguments[i] !== '') p = p === '' ? arguments[i] : arguments[i] + '/' + p;
  }
  if (p[0] !== '/') p = p === '' ? internals.cwd : internals.cwd + '/' + p;
  return '/' + tidy(p, false);
}

function isAbsolute(p) {
  check('path', p);
  return p[0] === '/';
}

function relative(from, to) {
  check('from', from);
  check('to', to);
  if (from === to) return '';
  var a = resolve(from).split('/').filter(Boolean);
  var b = resolve(to).split('/').filter(Boolean);
  var same = 0;
  while (same < a.length && same < b.length && a[same] === b[same]) same++;
  var up = [];
  for (var i = same; i < a.length; i++) up.push('..');
  return up.concat(b.slice(same)).join('/');
}

// trimEnd drops trailing slashes, keeping a lone root.
function trimEnd(p) {
  var end = p.length;
  while (end > 1 && p[end - 1] === '/') end--;
  return p.slice(0, end);
}

function dirname(p) {
  check('path', p);
  if (p === '') return '.';
  var t = trimEnd(p);
  var cut = t.lastIndexOf('/');
  if (cut < 0) return '.';
  if (cut === 0) return '/';
  // Two leading slashes are kept: POSIX leaves their meaning open.
  if (cut === 1 && t[0] === '/') return '//';
  return t.slice(0, cut);
}

function lastName(p) {
  var t = trimEnd(p);
  if (t === '/') return '';
  return t.slice(t.lastIndexOf('/') + 1);
}

// basename's suffix is matched from the end of the path, slashes and
// all, as Node does: a suffix that is the whole path leaves '', and one
// that is a longer tail than the name leaves the trailing slashes.
function basename(p, suffix) {
  if (suffix !== undefined) check('suffix', suffix);
  check('path', p);
  if (suffix === undefined || suffix === '' || suffix.length > p.length) return lastName(p);
  if (suffix === p) return '';
  var start = 0, end = -1, nameEnd = -1, k = suffix.length - 1;
  for (var i = p.length - 1; i >= 0; i--) {
    if (p[i] === '/') {
      if (nameEnd >= 0) {
        start = i + 1;
        break;
      }
      continue;
    }
    if (nameEnd < 0) nameEnd = i + 1;
    if (k >= 0) {
      if (p[i] !== suffix[k]) {
        k = -1;
        end = nameEnd;
      } else if (--k < 0) {
        end = i;
      }
    }
  }
  if (start === end) end = nameEnd;
  else if (end === -1) end = p.length;
  return p.slice(start, end);
}

// extOf is the name's extension: from its last dot, unless that dot
// starts the name ('.profile') or the name is '..'.
// parse alone, and only right after the root ('/..'), splits '..' as
// name '.' and extension '.'.
function extOf(name, parsing) {
  var dot = name.lastIndexOf('.');
  return dot <= 0 || (name === '..' && !parsing) ? '' : name.slice(dot);
}

function extname(p) {
  check('path', p);
  return extOf(lastName(p));
}

function parse(p) {
  check('path', p);
  var out = { root: '', dir: '', base: '', ext: '', name: '' };
  if (p === '') return out;
  out.root = p[0] === '/' ? '/' : '';
  out.base = lastName(p);
  var at = trimEnd(p).lastIndexOf('/') + 1;
  out.ext = extOf(out.base, out.root === '/' && at === 1);
  out.name = out.base.slice(0, out.base.length - out.ext.length);
  out.dir = at <= 1 ? out.root : p.slice(0, at - 1);
  if (out.base === '') out.dir = out.root;
  return out;
}

function format(o) {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) {
    throw internals.module('_inspect').argTypeError('pathObject', 'object', o);
  }
  var dir = o.dir || o.root;
  var ext = o.ext || '';
  if (ext !== '' && ext[0] !== '.') ext = '.' + ext;
  var base = o.base || (o.name || '') + ext;
  if (!dir) return base;
  return dir === o.root ? dir + base : dir + '/' + base;
}

var path = {
  sep: '/', delimiter: ':',
  normalize: normalize, join: join, resolve: resolve, isAbsolute: isAbsolute, relative: relative,
  dirname: dirname, basename: basename, extname: extname, parse: parse, format: format,
  toNamespacedPath: function toNamespacedPath(p) { return p; },
};
path.posix = path;
module.exports = path;
