// A Realtime script of three players a game session, for the seat tests.
exports.ssExports = { configuration: { maxPlayers: 3 }, init: function (session) {} };
