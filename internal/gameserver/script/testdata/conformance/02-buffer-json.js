const b = Buffer.from('{"a":1,"b":[2,3]}');
console.log(JSON.parse(b).b[1]);
console.log(JSON.stringify(Buffer.from([1, 2, 255])));
console.log(JSON.stringify({ payload: Buffer.from('hi') }));
console.log(b);
console.log(Buffer.alloc(60));
console.log([Buffer.from([1, 2])]);
console.log(new Uint8Array([1, 2, 3]), new Float64Array(2));
