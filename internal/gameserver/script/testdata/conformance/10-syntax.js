const { a, b: { c = 5 } = {}, ...rest } = { a: 1, b: {}, d: 4, e: 5 };
console.log(a, c, rest);
const [x, , y = 3, ...tail] = [1, 2, undefined, 4, 5];
console.log(x, y, tail);
const merged = { ...{ p: 1 }, q: 2, ...null };
console.log(merged, [...'abc'], Math.max(...[1, 9, 3]));
const o = { deep: { v: 0 } };
console.log(o?.deep?.v, o?.missing?.v, o.fn?.(), o.deep?.['v']);
console.log(null ?? 'default', 0 ?? 'no', '' || 'or', 0 || null);
let n = null; n ??= 7; let m = 1; m ||= 2; let k = 1; k &&= 3;
console.log(n, m, k);
const tag = (s, ...v) => s.raw.join('|') + v.join(',');
console.log(`multi
line ${1 + 1}`, tag`a${1}b${2}c`);
console.log(2 ** 10, 1_000_000, 0b101, 0o17, 0xff);
outer: for (let i = 0; i < 3; i++) {
  for (let j = 0; j < 3; j++) {
    if (j === 1) continue outer;
    if (i === 2) break outer;
    console.log('loop', i, j);
  }
}
const fns = [];
for (let i = 0; i < 3; i++) fns.push(() => i);
console.log(fns.map((f) => f()));
