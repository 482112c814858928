package condition

import (
	"bytes"
	"strconv"
	"strings"
	"time"
)

// source says what an operand resolves from.
type source uint8

const (
	srcLiteral source = iota // the text itself, or a constant computed at parse time
	srcStatus
	srcIP
	srcResponseTime
	srcDNSRCode
	srcConnected
	srcCertificateExpiration
	srcDomainExpiration
	srcBody
	srcBodyPath
)

// function is the len() or has() wrapped around a placeholder. pat() and
// any() are not resolved: they are literals that equal() interprets.
type function uint8

const (
	fnNone function = iota
	fnLen
	fnHas
)

// invalidSuffix marks an operand that could not be resolved.
const invalidSuffix = " (INVALID)"

// operand is one side of a condition, analysed at parse time.
type operand struct {
	text   string // as written, trimmed
	source source
	fn     function
	path   jsonPath // srcBodyPath only

	// literal is the resolved text of a srcLiteral operand; literalInt and
	// literalIsInt are literal as an integer (strconv.ParseInt base 0), and
	// literalNumber is literal as the ordering comparators see it.
	literal       string
	literalInt    int64
	literalIsInt  bool
	literalNumber int64

	// invalid is what the operand resolves to when it cannot be resolved.
	invalid string
	// isPattern is set when the operand is written pat(...): a long value
	// compared with it is truncated in displays.
	isPattern bool
	// showsDuration is set when the ordering comparators display the
	// operand's number as a duration.
	showsDuration bool
}

// Placeholder names, upper case.
const (
	phStatus                = "[STATUS]"
	phIP                    = "[IP]"
	phResponseTime          = "[RESPONSE_TIME]"
	phDNSRCode              = "[DNS_RCODE]"
	phConnected             = "[CONNECTED]"
	phCertificateExpiration = "[CERTIFICATE_EXPIRATION]"
	phDomainExpiration      = "[DOMAIN_EXPIRATION]"
	phBody                  = "[BODY]"
)

var placeholders = map[string]source{
	phStatus:                srcStatus,
	phIP:                    srcIP,
	phResponseTime:          srcResponseTime,
	phDNSRCode:              srcDNSRCode,
	phConnected:             srcConnected,
	phCertificateExpiration: srcCertificateExpiration,
	phDomainExpiration:      srcDomainExpiration,
	phBody:                  srcBody,
}

func parseOperand(raw string) operand {
	text := strings.TrimSpace(raw)
	o := operand{
		text:      text,
		invalid:   text + invalidSuffix,
		isPattern: strings.HasPrefix(text, "pat(") && strings.HasSuffix(text, ")"),
	}
	_, err := time.ParseDuration(text)
	o.showsDuration = text == phCertificateExpiration || text == phDomainExpiration || err == nil

	// The function prefixes are case-sensitive and the argument is not
	// trimmed: "len( [BODY])" wraps " [BODY]", which is no placeholder.
	inner := text
	if strings.HasSuffix(text, ")") {
		switch {
		case strings.HasPrefix(text, "len("):
			o.fn, inner = fnLen, strings.TrimSuffix(text[len("len("):], ")")
		case strings.HasPrefix(text, "has("):
			o.fn, inner = fnHas, strings.TrimSuffix(text[len("has("):], ")")
		}
	}
	upper := strings.ToUpper(inner)
	if src, ok := placeholders[upper]; ok {
		o.source = src
		return o
	}
	if strings.HasPrefix(upper, phBody+".") || strings.HasPrefix(upper, phBody+"[") {
		// Nothing before the path changes length when upper-cased, so the
		// offset is right in inner as well.
		o.source = srcBodyPath
		o.path = parsePath(strings.TrimPrefix(inner[len(phBody):], "."))
		return o
	}
	o.source = srcLiteral
	switch o.fn {
	case fnHas:
		o.literal = "false"
	case fnLen:
		o.literal = o.invalid
	default:
		o.literal = text
	}
	o.literalInt, o.literalIsInt = parseInt(o.literal)
	o.literalNumber = toNumber(o.literal)
	return o
}

// value is an operand resolved against one input. Integer values (numeric
// placeholders, len()) keep the integer and format their text only when it
// is needed, so "[STATUS] == 200" allocates nothing.
type value struct {
	text      string
	num       int64
	isInt     bool // text is, or will be, strconv.FormatInt(num, 10)
	formatted bool
}

func textValue(s string) value { return value{text: s} }

func intValue(n int64) value { return value{num: n, isInt: true} }

func boolValue(b bool) value {
	if b {
		return textValue("true")
	}
	return textValue("false")
}

// String returns the resolved text.
func (v *value) String() string {
	if v.isInt && !v.formatted {
		v.text = strconv.FormatInt(v.num, 10)
		v.formatted = true
	}
	return v.text
}

// number is the value as the ordering comparators see it.
func (v *value) number(o *operand) int64 {
	switch {
	case v.isInt:
		// A decimal integer is never a non-zero duration, so it is itself.
		return v.num
	case o.source == srcLiteral:
		return o.literalNumber
	}
	return toNumber(v.text)
}

// resolve returns the operand's value for the input of st.
func (o *operand) resolve(st *state) value {
	in := st.in
	switch o.source {
	case srcLiteral:
		return textValue(o.literal)
	case srcStatus:
		return o.applyToInt(int64(in.Status))
	case srcResponseTime:
		return o.applyToInt(in.ResponseTime.Milliseconds())
	case srcCertificateExpiration:
		return o.applyToInt(in.CertificateExpiration.Milliseconds())
	case srcDomainExpiration:
		return o.applyToInt(in.DomainExpiration.Milliseconds())
	case srcIP:
		return o.applyToText(in.IP)
	case srcDNSRCode:
		return o.applyToText(in.DNSRCode)
	case srcConnected:
		return o.applyToText(strconv.FormatBool(in.Connected))
	case srcBody:
		return o.resolveBody(st)
	case srcBodyPath:
		return o.resolveBodyPath(st)
	}
	return textValue(o.text)
}

// applyToInt applies len() or has() to a placeholder that resolves to a
// decimal integer.
func (o *operand) applyToInt(n int64) value {
	switch o.fn {
	case fnLen:
		return intValue(int64(decimalLen(n)))
	case fnHas:
		return boolValue(true) // a decimal integer is never empty
	}
	return intValue(n)
}

// applyToText applies len() or has() to a placeholder that resolves to text.
func (o *operand) applyToText(s string) value {
	switch o.fn {
	case fnLen:
		return intValue(int64(len(s)))
	case fnHas:
		return boolValue(s != "")
	}
	return textValue(s)
}

// resolveBody resolves [BODY], len([BODY]) and has([BODY]).
func (o *operand) resolveBody(st *state) value {
	switch o.fn {
	case fnHas:
		return boolValue(len(bytes.TrimSpace(st.in.Body)) > 0)
	case fnLen:
		// A JSON array counts its elements, a body that is not one its
		// bytes (untrimmed); a body that looks like an array but does not
		// parse counts its trimmed bytes.
		if n, err := st.pathLen(&emptyPath); err == nil {
			return intValue(int64(n))
		}
		return intValue(int64(len(bytes.TrimSpace(st.in.Body))))
	}
	return textValue(st.trimmedBody())
}

// resolveBodyPath resolves [BODY].path and [BODY][i], bare or in len() or
// has().
func (o *operand) resolveBodyPath(st *state) value {
	switch o.fn {
	case fnHas:
		return boolValue(st.pathFound(&o.path))
	case fnLen:
		n, err := st.pathLen(&o.path)
		if err != nil {
			return textValue(o.invalid)
		}
		return intValue(int64(n))
	}
	s, err := st.pathText(&o.path)
	if err != nil {
		return textValue(o.invalid)
	}
	return textValue(s)
}

// showNumber formats the number an ordering comparator compared, for
// display: as a duration when the operand is written as one (or is a
// certificate or domain expiration placeholder), else as an integer.
func (o *operand) showNumber(n int64) string {
	if o.showsDuration {
		return formatDuration(time.Duration(n) * time.Millisecond)
	}
	return strconv.FormatInt(n, 10)
}

// decimalLen is len(strconv.FormatInt(n, 10)).
func decimalLen(n int64) int {
	u := uint64(n)
	size := 1
	if n < 0 {
		u = -u
		size++
	}
	for u >= 10 {
		u /= 10
		size++
	}
	return size
}
