console.log(process.version.startsWith('v24') || process.version.startsWith('v20'), typeof process.versions.node);
console.log(Array.isArray(process.argv), typeof process.argv[0], typeof process.env, process.platform);
console.log(typeof process.nextTick, typeof process.hrtime, typeof process.hrtime.bigint(), typeof process.uptime());
const hr = process.hrtime();
console.log(hr.length, typeof hr[0]);
console.log(typeof process.memoryUsage().heapUsed);
process.on('unhandledRejection', () => {});
process.on('uncaughtException', () => {});
console.log(process.listenerCount('unhandledRejection'), typeof process.exit);
