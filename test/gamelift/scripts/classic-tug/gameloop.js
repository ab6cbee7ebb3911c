// A fixed-step loop in the style of the small npm game-loop packages Realtime
// scripts bundled: a callback with the seconds since the last step, driven
// by setTimeout and setImmediate against process.hrtime.
'use strict';

var loops = {};
var nextId = 0;

function nowMs() {
    var t = process.hrtime();
    return t[0] * 1e3 + t[1] / 1e6;
}

exports.setGameLoop = function (update, stepMs) {
    stepMs = stepMs || 1000 / 30;
    var id = nextId++;
    var last = nowMs();
    loops[id] = true;
    function step() {
        if (!loops[id]) {
            return;
        }
        var now = nowMs();
        if (now - last >= stepMs) {
            var delta = (now - last) / 1000;
            last = now;
            update(delta);
        }
        if (!loops[id]) {
            return;
        }
        if (stepMs - (nowMs() - last) > 16) {
            setTimeout(step, 10);
        } else {
            setImmediate(step);
        }
    }
    step();
    return id;
};

exports.clearGameLoop = function (id) {
    delete loops[id];
};
