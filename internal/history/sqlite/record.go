package sqlite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/condition"
)

// A record is the compact binary form of the fields of a result that are
// neither its key nor its time and duration. The same form serves two
// columns: shapes.body, the interned part that repeats from check to check
// (status, success, IP, conditions...), and results.extra, what is specific
// to one result (a node other than the batch's origin, or the whole shape
// when it was not interned).
//
// Layout: a version byte, then fields in ascending tag order, each a tag byte
// and a value. Zero values are omitted, so equal fields give equal bytes:
// the encoding is canonical, which is what lets shapes be interned by value.
const recordVersion = 1

const (
	tagStatus       = 1  // zigzag varint
	tagSuccess      = 2  // no value
	tagConnected    = 3  // no value
	tagIP           = 4  // string
	tagDNSRCode     = 5  // string
	tagErrors       = 6  // count, strings
	tagConditions   = 7  // count, (success byte, string)...
	tagCertExpiry   = 8  // zigzag varint: unix second of the certificate's expiry
	tagDomainExpiry = 9  // zigzag varint: unix second of the domain's expiry
	tagNode         = 10 // string
)

// maxRecordStrings bounds the number of errors or conditions one record may
// claim, so a corrupt count cannot make the decoder allocate much.
const maxRecordStrings = 1 << 16

// record holds the decoded fields. Expiry instants are unix seconds; has*
// says whether they are set.
type record struct {
	status     int
	success    bool
	connected  bool
	ip         string
	dnsRCode   string
	errors     []string
	conditions []condition.Result
	certAt     int64
	hasCert    bool
	domainAt   int64
	hasDomain  bool
	node       string
}

// shapeOf extracts the repeating fields of r. Expirations become instants
// rounded to the second, so they stay constant from check to check.
func shapeOf(r *monitor.Result) record {
	rec := record{
		status:     r.Status,
		success:    r.Success,
		connected:  r.Connected,
		ip:         r.IP,
		dnsRCode:   r.DNSRCode,
		errors:     r.Errors,
		conditions: r.Conditions,
	}
	if r.CertificateExpiration != 0 {
		rec.certAt, rec.hasCert = expiryInstant(r.Time, r.CertificateExpiration), true
	}
	if r.DomainExpiration != 0 {
		rec.domainAt, rec.hasDomain = expiryInstant(r.Time, r.DomainExpiration), true
	}
	return rec
}

// expiryInstant is the unix second, rounded to the nearest, of at+d.
func expiryInstant(at time.Time, d time.Duration) int64 {
	ms := at.UnixMilli() + d.Milliseconds()
	return floorDiv(ms+500, 1000)
}

// apply sets the record's present (non-zero) fields on r, so a shape and
// an extra record can both be applied; timeMS is r's time in unix ms, to
// turn expiry instants back into durations.
func (rec *record) apply(r *monitor.Result, timeMS int64) {
	if rec.status != 0 {
		r.Status = rec.status
	}
	if rec.success {
		r.Success = true
	}
	if rec.connected {
		r.Connected = true
	}
	if rec.ip != "" {
		r.IP = rec.ip
	}
	if rec.dnsRCode != "" {
		r.DNSRCode = rec.dnsRCode
	}
	if len(rec.errors) > 0 {
		r.Errors = append([]string(nil), rec.errors...)
	}
	if len(rec.conditions) > 0 {
		r.Conditions = append([]condition.Result(nil), rec.conditions...)
	}
	if rec.hasCert {
		r.CertificateExpiration = time.Duration(rec.certAt*1000-timeMS) * time.Millisecond
	}
	if rec.hasDomain {
		r.DomainExpiration = time.Duration(rec.domainAt*1000-timeMS) * time.Millisecond
	}
	switch rec.node {
	case "":
	case emptyNode:
		r.Node = ""
	default:
		r.Node = rec.node
	}
}

// appendRecord appends the canonical encoding of rec to dst.
func appendRecord(dst []byte, rec *record) []byte {
	dst = append(dst, recordVersion)
	if rec.status != 0 {
		dst = append(dst, tagStatus)
		dst = binary.AppendVarint(dst, int64(rec.status))
	}
	if rec.success {
		dst = append(dst, tagSuccess)
	}
	if rec.connected {
		dst = append(dst, tagConnected)
	}
	if rec.ip != "" {
		dst = appendString(append(dst, tagIP), rec.ip)
	}
	if rec.dnsRCode != "" {
		dst = appendString(append(dst, tagDNSRCode), rec.dnsRCode)
	}
	if len(rec.errors) > 0 {
		dst = append(dst, tagErrors)
		dst = binary.AppendUvarint(dst, uint64(len(rec.errors)))
		for _, e := range rec.errors {
			dst = appendString(dst, e)
		}
	}
	if len(rec.conditions) > 0 {
		dst = append(dst, tagConditions)
		dst = binary.AppendUvarint(dst, uint64(len(rec.conditions)))
		for _, c := range rec.conditions {
			var ok byte
			if c.Success {
				ok = 1
			}
			dst = appendString(append(dst, ok), c.Condition)
		}
	}
	if rec.hasCert {
		dst = append(dst, tagCertExpiry)
		dst = binary.AppendVarint(dst, rec.certAt)
	}
	if rec.hasDomain {
		dst = append(dst, tagDomainExpiry)
		dst = binary.AppendVarint(dst, rec.domainAt)
	}
	if rec.node != "" {
		dst = appendString(append(dst, tagNode), rec.node)
	}
	return dst
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// errRecord is wrapped by every decoding error.
var errRecord = errors.New("corrupt result record")

// decodeRecord parses an encoding made by appendRecord. It never panics;
// errors say what is wrong at which byte offset.
func decodeRecord(b []byte) (record, error) {
	var rec record
	d := recordDecoder{b: b}
	if len(b) == 0 {
		return rec, fmt.Errorf("%w: empty", errRecord)
	}
	if v := d.byte(); v != recordVersion {
		return rec, fmt.Errorf("%w: unknown version %d", errRecord, v)
	}
	last := 0
	for d.err == nil && d.off < len(d.b) {
		at := d.off
		tag := int(d.byte())
		if tag <= last {
			return rec, fmt.Errorf("%w: tag %d at offset %d out of order", errRecord, tag, at)
		}
		last = tag
		switch tag {
		case tagStatus:
			v := d.varint()
			if v < math.MinInt32 || v > math.MaxInt32 {
				return rec, fmt.Errorf("%w: status %d at offset %d out of range", errRecord, v, at)
			}
			rec.status = int(v)
		case tagSuccess:
			rec.success = true
		case tagConnected:
			rec.connected = true
		case tagIP:
			rec.ip = d.string()
		case tagDNSRCode:
			rec.dnsRCode = d.string()
		case tagErrors:
			n := d.count()
			rec.errors = make([]string, 0, n)
			for i := 0; i < n && d.err == nil; i++ {
				rec.errors = append(rec.errors, d.string())
			}
		case tagConditions:
			n := d.count()
			rec.conditions = make([]condition.Result, 0, n)
			for i := 0; i < n && d.err == nil; i++ {
				ok := d.byte()
				if ok > 1 && d.err == nil {
					d.fail("condition success flag %d", ok)
				}
				rec.conditions = append(rec.conditions, condition.Result{Condition: d.string(), Success: ok == 1})
			}
		case tagCertExpiry:
			rec.certAt, rec.hasCert = d.instant(), true
		case tagDomainExpiry:
			rec.domainAt, rec.hasDomain = d.instant(), true
		case tagNode:
			rec.node = d.string()
		default:
			return rec, fmt.Errorf("%w: unknown tag %d at offset %d", errRecord, tag, at)
		}
	}
	if d.err != nil {
		return record{}, d.err
	}
	return rec, nil
}

// maxInstant bounds expiry instants (unix seconds) so that converting them
// back to durations cannot overflow: about ±290 years around 1970.
const maxInstant = math.MaxInt64 / int64(time.Second) / 1000 * 1000

type recordDecoder struct {
	b   []byte
	off int
	err error
}

func (d *recordDecoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at offset %d", errRecord, fmt.Sprintf(format, args...), d.off)
	}
}

func (d *recordDecoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if d.off >= len(d.b) {
		d.fail("truncated")
		return 0
	}
	v := d.b[d.off]
	d.off++
	return v
}

func (d *recordDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.off += n
	return v
}

func (d *recordDecoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.off += n
	return v
}

func (d *recordDecoder) instant() int64 {
	v := d.varint()
	if v < -maxInstant || v > maxInstant {
		d.fail("expiry instant %d out of range", v)
		return 0
	}
	return v
}

func (d *recordDecoder) count() int {
	n := d.uvarint()
	// Every element takes at least one byte.
	if n > maxRecordStrings || n > uint64(len(d.b)-d.off) {
		d.fail("count %d too large", n)
		return 0
	}
	return int(n)
}

func (d *recordDecoder) string() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)-d.off) {
		d.fail("string of %d bytes past the end", n)
		return ""
	}
	s := string(d.b[d.off : d.off+int(n)])
	d.off += int(n)
	return s
}

// floorDiv divides rounding toward minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
