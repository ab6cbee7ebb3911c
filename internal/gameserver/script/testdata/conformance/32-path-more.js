const path = require('path');
const util = require('util');
console.log(path.posix === path, path.delimiter, require('path/posix') === path, path.toNamespacedPath('/a/b'));
console.log(path.normalize(''), path.normalize('./'), path.normalize('a/../..'), path.normalize('//a//b//'), path.normalize('../a/./b/..'));
console.log(path.join('/a', '..', '..', 'b'), path.join('a', '../..', 'c'), path.join('', ''), path.join('/', '/'), path.join('a/', '/b/'));
console.log(path.resolve('/a/b', './c', '../d/'), path.resolve('/a', '/b', 'c'), path.resolve('/'), path.resolve('/a//b/'));
console.log(path.isAbsolute(path.resolve('x')), path.resolve('x') === path.join(process.cwd(), 'x'), path.resolve() === process.cwd());
console.log(path.relative('/a/b', '/a/b'), path.relative('/a/b', '/a/b/c/d'), path.relative('/a/b/c', '/x/y'), path.relative('/', '/a'), path.relative('/a', '/'));
console.log(path.dirname('/a/b/'), path.dirname('a/b'), path.dirname('//a'), path.dirname('/a//b'), path.dirname(''), path.dirname('a/'));
console.log(path.basename('/a/b.txt/', '.txt'), path.basename('b.txt', 'b.txt'), path.basename('/'), path.basename(''), path.basename('a.js', 'js'), path.basename('/a/b', 'xb'));
console.log(path.extname('.a.b'), path.extname('..'), path.extname('a.b/'), path.extname('/x/.profile'), path.extname('a..'), path.extname('...'));
console.log(path.parse(''), path.parse('/'), path.parse('a'), path.parse('./a.b.c'));
console.log(path.parse('/..'), path.parse('//x'), path.parse('/home/user/dir/'));
console.log(path.format({ root: '/', name: 'f', ext: 'txt' }), path.format({ dir: 'd', name: 'n', ext: '.e' }), path.format({ root: '/r/' }), path.format({ base: 'b', ext: '.ignored', name: 'x' }));
for (const f of [() => path.join('a', 1), () => path.resolve('/a', null), () => path.basename('a', 2), () => path.relative({}, 'a'),
  () => path.format('x'), () => path.parse(undefined), () => path.dirname([]), () => path.extname(Symbol('s')), () => path.normalize(function norm() {}),
  () => path.join(10n), () => path.basename('a very long string that is cut off somewhere', {})]) {
  try { f(); } catch (err) { console.log(err.name, err.code, err.message); }
}
try { path.join(null); } catch (err) {
  const lines = util.inspect(err).split('\n');
  console.log(String(err), '|', err.stack.split('\n')[0], '|', lines[0], '|', lines.slice(-2).join(' '), '|', Object.keys(err));
}
