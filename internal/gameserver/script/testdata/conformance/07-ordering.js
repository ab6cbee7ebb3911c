// Event order with gaps wide enough that Node's real clock cannot reorder
// them (setTimeout 0 against setImmediate in the main module is a race in
// Node itself, so it is checked inside a timer, where Node's order is fixed).
const log = [];
setTimeout(() => console.log('timeout 0'), 0);
Promise.resolve().then(() => console.log('promise 1')).then(() => console.log('promise 2'));
queueMicrotask(() => console.log('microtask'));
console.log('sync');
setTimeout(() => {
  console.log('timeout 100');
  Promise.resolve().then(() => console.log('promise in timeout'));
  setTimeout(() => console.log('nested timeout 0'), 0);
  setImmediate(() => console.log('immediate in timeout'));
}, 1000);
setTimeout(() => console.log('timeout 50'), 500); // labels keep their names; delays leave room for a loaded machine
const id = setInterval(() => { log.push('tick'); if (log.length === 3) { clearInterval(id); console.log(log.join(',')); } }, 5);
