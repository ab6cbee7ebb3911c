const util = require('util');
console.log(util.format('%s has %d legs and %i eyes, %f%%', 'frog', 4, 2.7, 1.5));
console.log(util.format('%j', { a: [1, 'b'] }));
console.log(util.format('%o', { a: 1 }), util.format('%O', { a: 1 }));
console.log(util.format('%s', { a: 1 }), util.format('%s', [1, 2]), util.format('%s', null));
console.log(util.format('no args %s'), util.format('extra', 1, 'two', { three: 3 }));
console.log('%s:%s', 'a');
console.log(util.format(1, 2, '3'));
console.log(util.format('%d', '42abc'), util.format('%i', 3.9), util.format('%c', 'css'));
