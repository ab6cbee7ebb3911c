package host

// LobbyScans is how many scans the lobby report of h has finished.
func LobbyScans(h *Host) int64 { return h.lobbyScans.Load() }
