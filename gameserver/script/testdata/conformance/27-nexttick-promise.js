// Node runs the nextTick queue before promise jobs; here both share the
// job queue, in the order they were queued.
Promise.resolve().then(() => console.log('promise'));
process.nextTick(() => console.log('nextTick'));
console.log('sync');
