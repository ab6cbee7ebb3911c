const path = require('path');
console.log(path.join('/a/b', '../c', './d.js'), path.join('a', '', 'b/'), path.join());
console.log(path.resolve('/x', 'y', '..', 'z'), path.resolve('/abs'));
console.log(path.basename('/a/b/c.txt'), path.basename('/a/b/c.txt', '.txt'), path.basename('/a/b/'));
console.log(path.dirname('/a/b/c'), path.dirname('a'), path.dirname('/'));
console.log(path.extname('x.tar.gz'), path.extname('.hidden'), path.extname('noext'), path.extname('a.'));
console.log(path.normalize('/a//b/../c/.'), path.isAbsolute('/x'), path.isAbsolute('x'), path.sep);
console.log(path.relative('/a/b/c', '/a/d'), path.parse('/home/u/f.txt'), path.format({ dir: '/x', base: 'y.js' }));
