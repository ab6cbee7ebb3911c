console.log(JSON.stringify({ a: 1, b: [1, 'x', null], c: undefined, d: () => 1 }));
console.log(JSON.stringify({ a: { b: 1 } }, null, 2));
console.log(JSON.stringify([undefined, function () {}, Symbol('s')]));
console.log(JSON.stringify({ date: new Date(0), nan: NaN, inf: Infinity }));
console.log(JSON.stringify({ toJSON() { return 'custom'; } }), JSON.stringify('é\u2028'));
console.log(JSON.parse('{"x":[1,{"y":true}]}', (k, v) => (k === 'y' ? 'revived' : v)));
try { JSON.stringify(10n); } catch (e) { console.log(e.name); }
const cyc = {}; cyc.c = cyc;
try { JSON.stringify(cyc); } catch (e) { console.log(e.name); }
console.log(JSON.stringify({ b: 2, a: 1 }, ['a']));
