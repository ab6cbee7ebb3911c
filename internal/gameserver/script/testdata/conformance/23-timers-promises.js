const { setTimeout: sleep } = require('timers/promises');
const timers = require('timers');
sleep(60, 'value').then((v) => console.log('slept', v));
timers.setTimeout(() => console.log('timers.setTimeout'), 1);
const t = setTimeout(() => console.log('never'), 2);
clearTimeout(t);
const i = setInterval(() => { console.log('interval once'); clearInterval(i); }, 30);
