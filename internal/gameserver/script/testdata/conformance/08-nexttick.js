process.nextTick(() => console.log('tick 1'));
process.nextTick((a, b) => console.log('tick args', a, b), 'x', 'y');
console.log('sync');
setTimeout(() => {
  process.nextTick(() => console.log('tick in timeout'));
  console.log('timeout');
}, 1);
