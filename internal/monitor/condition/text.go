package condition

// MarshalText returns the condition as written, so a monitor spec holding
// conditions serializes (JSON, replicated commands) as plain strings.
func (c *Condition) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText parses text as a condition; it fails like Parse.
func (c *Condition) UnmarshalText(text []byte) error {
	p, err := Parse(string(text))
	if err != nil {
		return err
	}
	*c = *p
	return nil
}
