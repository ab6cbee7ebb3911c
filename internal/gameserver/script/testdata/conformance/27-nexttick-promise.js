// Node runs the nextTick queue before the promise jobs of a callback.
Promise.resolve().then(() => console.log('promise 1'));
process.nextTick(() => console.log('nextTick 1'));
process.nextTick(() => {
  console.log('nextTick 2');
  process.nextTick(() => console.log('nextTick in nextTick'));
  Promise.resolve().then(() => console.log('promise in nextTick'));
});
Promise.resolve().then(() => {
  console.log('promise 2');
  process.nextTick(() => console.log('nextTick in promise'));
  Promise.resolve().then(() => console.log('promise in promise'));
});
console.log('sync');
setTimeout(() => {
  Promise.resolve().then(() => console.log('timer promise'));
  process.nextTick(() => console.log('timer nextTick'));
}, 5);
