// Op codes of the all-APIs fixture, shared by index.js through a local require.
module.exports = {
  WELCOME: 1, PEER_LEFT: 2,
  ECHO: 10, ECHOED: 11,
  SHOUT: 12, SHOUTED: 13,
  TIMERS: 14, TIMERS_DONE: 15,
  NODE: 16, NODE_REPORT: 17,
  THROW: 18, SPIN: 19, END: 20, EXIT: 21,
  MEMBERSHIP: 22, REQUIRE_FS: 23, REQUIRE_FS_ERROR: 24, SICK: 25,
  DATA: 30, HOARD: 31,
  PROCESS_ENDING: 40,
};
