package agonessdk

// IsGamePort reports whether a GameServer port called name is the port the
// Fleet spec calls portName. Agones splits a port of protocol TCPUDP into
// two of one number, "<portName>-tcp" and "<portName>-udp"; either gives
// the number, and the TCP one is where players' WebSockets go (the race
// server's UDP fast channel listens on the same number).
func IsGamePort(name, portName string) bool {
	return name == portName || name == portName+"-tcp"
}
