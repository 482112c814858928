package icmp

// Order exposes the socket kinds tried for a mode and effective user id.
func Order(mode Mode, euid int) []bool {
	return (&Prober{mode: mode, euid: euid}).order()
}
