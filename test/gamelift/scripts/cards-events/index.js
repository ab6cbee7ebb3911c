// High card for two, best of three, in the style of scripts that lean on
// Node's built-ins: an EventEmitter for the game's own events, crypto's
// random numbers for the deck, util.promisify'd timers, a StringDecoder for
// chunked text, binary payloads built with Buffer, JSON.parse of a payload
// Buffer, and groups (one per table) joined by the clients.
'use strict';

const EventEmitter = require('events');
const crypto = require('crypto');
const { StringDecoder } = require('string_decoder');
const util = require('util');

const sleep = util.promisify(setTimeout);

const OP_HELLO = 40;   // client -> server: JSON {"nick": "..."} as bytes
const OP_DRAW = 41;    // client -> server
const OP_NOTE = 42;    // client -> server: text in chunks, '\n' ends a line
const OP_CARD = 140;   // server -> client: binary [round u8][peer u16][card u8]
const OP_ROUND = 141;  // server -> client: binary [round u8][winner u16]
const OP_MATCH = 142;  // server -> client: text "winner <peerId>"
const OP_NOTED = 143;  // server -> client: a whole line of notes
const TABLE = 7;       // the group both players join

let session;
let logger;
const table = new EventEmitter();
const nicks = new Map();
const decoders = new Map();
const partial = new Map();
let round = 1;
let draws = new Map();
const wins = new Map();

function binary(opCode, bytes) {
  return session.newBinaryGameMessage(opCode, session.getServerId(), bytes);
}

table.on('draw', (peerId, card) => {
  const out = Buffer.alloc(4);
  out.writeUInt8(round, 0);
  out.writeUInt16BE(peerId, 1);
  out.writeUInt8(card, 3);
  session.sendReliableGroupMessage(binary(OP_CARD, out), TABLE);
  draws.set(peerId, card);
  if (draws.size === 2) table.emit('round', new Map(draws));
});

table.on('round', async (cards) => {
  const [[a, ca], [b, cb]] = [...cards.entries()];
  const winner = ca === cb ? 0 : ca > cb ? a : b;
  if (winner) wins.set(winner, (wins.get(winner) || 0) + 1);
  const out = Buffer.alloc(3);
  out.writeUInt8(round, 0);
  out.writeUInt16BE(winner, 1);
  session.sendReliableGroupMessage(binary(OP_ROUND, out), TABLE);
  draws = new Map();
  round += 1;
  const best = [...wins.entries()].find(([, n]) => n >= 2);
  if (best) {
    await sleep(20);
    table.emit('over', best[0]);
  }
});

table.once('over', async (winner) => {
  session.sendReliableGroupMessage(session.newTextGameMessage(OP_MATCH, session.getServerId(), `winner ${winner}`), TABLE);
  logger.info(util.format('match over: %s (%d) won %j', nicks.get(winner), winner, Object.fromEntries(wins)));
  await session.processEnding();
  process.exit(0);
});

function init(rtSession) {
  session = rtSession;
  logger = session.getLogger();
  logger.info(`table ${crypto.randomUUID()} ready`);
}

function onPlayerJoinGroup(groupId, peerId) {
  return groupId === TABLE;
}

function onPlayerAccepted(player) {
  decoders.set(player.peerId, new StringDecoder('utf8'));
}

function onMessage(msg) {
  switch (msg.opCode) {
    case OP_HELLO: {
      const { nick } = JSON.parse(msg.payload);
      nicks.set(msg.sender, nick);
      session.broadcastGroupMembershipUpdate(TABLE, TABLE);
      break;
    }
    case OP_DRAW:
      if (!draws.has(msg.sender)) table.emit('draw', msg.sender, crypto.randomInt(1, 14));
      break;
    case OP_NOTE: {
      const lines = ((partial.get(msg.sender) || '') + decoders.get(msg.sender).write(msg.payload)).split('\n');
      partial.set(msg.sender, lines.pop());
      for (const line of lines) {
        session.sendReliableGroupMessage(session.newTextGameMessage(OP_NOTED, msg.sender, line), TABLE);
      }
      break;
    }
    default:
      logger.warn(`op ${msg.opCode}?`);
  }
}

exports.ssExports = {
  configuration: { maxPlayers: 2 },
  init,
  onPlayerAccepted,
  onPlayerJoinGroup,
  onMessage,
};
