// Mega Frog Race messages (leapfrog.race.v1 in race.proto) encoded with the
// small writer: the payloads the Leapfrog clients decode.
'use strict';

const Writer = require('./protobuf').Writer;

// Every message is encoded into one writer and sent before the next is
// encoded (rtSession sends copy the bytes into the frame at once).
const shared = new Writer();

function writer() {
  return shared.reset();
}

function rules(w, field, r) {
  return w.begin(field)
    .double(1, r.hopDistance).int(2, r.hopDurationMs).int(3, r.hopPenaltyMs)
    .double(4, r.finishLine).int(5, r.players).int(6, r.countdownMs).int(7, r.reconnectGraceMs)
    .end();
}

function frog(w, field, f) {
  return w.begin(field)
    .int(1, f.lane).string(2, f.playerId).double(3, f.from).double(4, f.to)
    .int(5, f.hopStartMs).int(6, f.hopEndMs).int(7, f.penaltyMs).int(8, f.hops).int(9, f.penalties)
    .int(10, f.hopping).int(11, f.connected).int(12, f.finishedAtMs)
    .end();
}

function result(w, r) {
  return w.int(1, r.winnerLane).string(2, r.winnerPlayerId).int(3, r.reason)
    .packed(4, r.finishTimesMs).int(5, r.tieBreak).int(6, r.serverTimeMs);
}

module.exports = {
  assignPlayer: function (lane, playerId, peerId, r) {
    return rules(writer().int(1, lane).string(2, playerId).int(3, peerId), 4, r).view();
  },
  countdown: function (startAtMs, now) {
    return writer().int(1, startAtMs).int(2, now).view();
  },
  frogMoved: function (f, now, cause) {
    return frog(writer(), 1, f).int(2, now).int(3, cause).view();
  },
  raceResult: function (r) {
    return result(writer(), r).view();
  },
  snapshot: function (phase, frogs, startAtMs, now, res) {
    const w = writer().int(1, phase);
    frogs.forEach(function (f) { frog(w, 2, f); });
    w.int(3, startAtMs).int(4, now);
    if (res) result(w.begin(5), res).end();
    return w.view();
  },
  playerStatus: function (lane, playerId, status, graceEndsMs, now) {
    return writer().int(1, lane).string(2, playerId).int(3, status).int(4, graceEndsMs).int(5, now).view();
  },
};
