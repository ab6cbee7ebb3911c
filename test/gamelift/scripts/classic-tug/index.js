// Tug of war, written the way Realtime scripts were written for Node.js 10:
// ES5, text payloads, the runtime's Packet module required by relative path,
// a bundled game loop, util.inspect of the session, and processEnding
// followed by process.exit(0).
'use strict';

var util = require('util');
var Packet_pb = require('../src/proto/Packet_pb');
var gameloop = require('./gameloop.js');

// client -> server
var OP_READY = 10;
var OP_PULL = 11;
// server -> client
var OP_SIDE = 20;
var OP_START = 21;
var OP_ROPE = 22;
var OP_WINNER = 23;

var WIN_AT = 5;
var WAIT_FOR_PLAYERS_MS = 60 * 1000;

var session = null;
var logger = null;
var sides = {};      // peerId -> -1 or +1
var ready = {};
var rope = 0;
var sentRope = 0;
var loopId = null;
var started = false;
var over = false;
var waitTimer = null;

function sendText(peerIds, opCode, text) {
    var msg = session.newTextGameMessage(opCode, session.getServerId(), text);
    for (var i = 0; i < peerIds.length; i++) {
        session.sendMessage(msg, peerIds[i]);
    }
}

function peers() {
    return Object.keys(sides).map(function (k) { return parseInt(k, 10); });
}

function tick(delta) {
    if (rope !== sentRope) {
        sentRope = rope;
        sendText(peers(), OP_ROPE, rope.toString());
    }
}

function stopGame(reason) {
    if (over) {
        return;
    }
    over = true;
    logger.info('[app] stopping: ' + reason);
    if (loopId !== null) {
        gameloop.clearGameLoop(loopId);
        loopId = null;
    }
    session.processEnding().then(function (outcome) {
        logger.info('[app] processEnding: ' + outcome);
        process.exit(0);
    });
}

function init(rtSession) {
    session = rtSession;
    logger = session.getLogger();
    logger.info('[app] init ' + util.inspect(rtSession));
    // The runtime's packet classes load like any module.
    var probe = new Packet_pb.Packet();
    probe.setOpcode(OP_READY);
    if (Packet_pb.Packet.deserializeBinary(probe.serializeBinary()).getOpcode() !== OP_READY) {
        throw new Error('Packet_pb round trip failed');
    }
}

function onProcessStarted(args) {
    logger.info('[app] process started with ' + JSON.stringify(args));
    return true;
}

function onStartGameSession(gameSession) {
    logger.info('[app] game session ' + gameSession.gameSessionId);
    waitTimer = setTimeout(function () { stopGame('nobody came'); }, WAIT_FOR_PLAYERS_MS);
}

function onPlayerConnect(connectMsg) {
    logger.info('[app] connect ' + connectMsg.peerId);
    return peers().length < 2;
}

function onPlayerAccepted(player) {
    if (waitTimer !== null) {
        clearTimeout(waitTimer);
        waitTimer = null;
    }
    sides[player.peerId] = peers().length === 0 ? -1 : 1;
    sendText([player.peerId], OP_SIDE, sides[player.peerId].toString());
}

function onPlayerDisconnect(peerId) {
    logger.info('[app] disconnect ' + peerId);
    stopGame('player ' + peerId + ' left');
}

function onMessage(gameMessage) {
    // sender 0 would be the server in the old client SDKs: ignore it
    if (gameMessage.sender == 0 || over) {
        return;
    }
    var side = sides[gameMessage.sender];
    switch (gameMessage.opCode) {
    case OP_READY:
        ready[gameMessage.sender] = true;
        if (!started && Object.keys(ready).length === 2) {
            started = true;
            loopId = gameloop.setGameLoop(tick, 100);
            sendText(peers(), OP_START, new Buffer.from('go').toString());
        }
        break;
    case OP_PULL:
        if (!started) {
            return;
        }
        rope += side;
        if (Math.abs(rope) >= WIN_AT) {
            sendText(peers(), OP_ROPE, rope.toString());
            sendText(peers(), OP_WINNER, gameMessage.sender.toString());
            stopGame('winner ' + gameMessage.sender);
        }
        break;
    default:
        logger.warn('[app] unknown op code ' + gameMessage.opCode);
    }
}

exports.ssExports = {
    configuration: { maxPlayers: 2 },
    init: init,
    onProcessStarted: onProcessStarted,
    onStartGameSession: onStartGameSession,
    onPlayerConnect: onPlayerConnect,
    onPlayerAccepted: onPlayerAccepted,
    onPlayerDisconnect: onPlayerDisconnect,
    onMessage: onMessage
};
