package template

import (
	"strconv"
	"strings"
	"time"
)

// .NET date handling for NowDate, AddHours/AddDays and Format: a parsed date
// remembers whether it was written without an offset (.NET "Unspecified"),
// in UTC ("Z") or with an explicit offset, because the round-trip "O" format
// prints those differently.

type dateKind int

const (
	dateNaive  dateKind = iota // no offset: prints without a suffix
	dateUTC                    // prints "Z"
	dateOffset                 // prints "+hh:mm"
)

type netDate struct {
	t    time.Time // wall clock in t.Location(); naive dates use time.UTC
	kind dateKind
}

// Layouts tried in order, roughly what DateTime.TryParse accepts in en-US.
var (
	zonedLayouts = []string{
		"2006-1-2T15:04:05Z07:00",
		"2006-1-2 15:04:05Z07:00",
		"2006-1-2T15:04Z07:00",
		"2006-1-2 15:04:05 Z07:00",
		"2006/1/2 15:04:05Z07:00",
		"2006-1-2T15:04:05Z0700",
		time.RFC1123,
		time.RFC1123Z,
	}
	naiveLayouts = []string{
		"2006-1-2T15:04:05",
		"2006-1-2 15:04:05",
		"2006-1-2T15:04",
		"2006-1-2 15:04",
		"2006-1-2",
		"2006/1/2 15:04:05",
		"2006/1/2 15:04",
		"2006/1/2",
		"2006.1.2 15:04:05",
		"2006.1.2",
		"1/2/2006 3:04:05 PM",
		"1/2/2006 3:04 PM",
		"1/2/2006 15:04:05",
		"1/2/2006 15:04",
		"1/2/2006",
		"1-2-2006 15:04:05",
		"1-2-2006",
		"January 2, 2006 3:04:05 PM",
		"January 2, 2006 15:04:05",
		"January 2, 2006",
		"Jan 2, 2006",
		"2 January 2006 15:04:05",
		"2 January 2006",
		"2 Jan 2006 15:04:05",
		"2 Jan 2006",
		"Monday, January 2, 2006 3:04:05 PM",
		"Monday, January 2, 2006",
		"15:04:05",
		"15:04",
		"3:04:05 PM",
		"3:04 PM",
	}
)

// parseNetDate parses s like DateTimeOffset/DateTime.TryParse would.
func parseNetDate(s string, now time.Time) (netDate, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 100 {
		return netDate{}, false
	}
	for _, l := range zonedLayouts {
		if t, err := time.Parse(l, s); err == nil {
			_, off := t.Zone()
			if strings.HasSuffix(s, "Z") || strings.HasSuffix(s, "GMT") || strings.HasSuffix(s, "UTC") {
				return netDate{t: t.UTC(), kind: dateUTC}, true
			}
			return netDate{t: t.In(time.FixedZone("", off)), kind: dateOffset}, true
		}
	}
	for _, l := range naiveLayouts {
		if t, err := time.Parse(l, s); err == nil {
			if !strings.Contains(l, "2006") {
				// A bare time means that time today.
				y, m, d := now.Date()
				t = time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
			}
			return netDate{t: t, kind: dateNaive}, true
		}
	}
	return netDate{}, false
}

// asOffset gives the DateTimeOffset view: a naive date takes the local
// offset at that wall-clock time.
func (d netDate) asOffset(loc *time.Location) netDate {
	if d.kind != dateNaive {
		return d
	}
	t := d.t
	local := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
	_, off := local.Zone()
	return netDate{t: time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.FixedZone("", off)), kind: dateOffset}
}

// asDateTime gives the DateTime view: zoned values are converted to local
// time, as DateTime.Parse does.
func (d netDate) asDateTime(loc *time.Location) netDate {
	if d.kind == dateNaive {
		return d
	}
	t := d.t.In(loc)
	_, off := t.Zone()
	return netDate{t: t.In(time.FixedZone("", off)), kind: dateOffset}
}

// offset returns the UTC offset in seconds used by the z/zz/zzz/K specifiers.
func (d netDate) offset(loc *time.Location) int {
	if d.kind == dateNaive {
		return d.asOffset(loc).offset(loc)
	}
	_, off := d.t.Zone()
	return off
}

// roundTrip is the .NET "O" format.
func (d netDate) roundTrip() string {
	s := d.t.Format("2006-01-02T15:04:05") + "." + pad(d.t.Nanosecond()/100, 7)
	switch d.kind {
	case dateUTC:
		return s + "Z"
	case dateOffset:
		_, off := d.t.Zone()
		return s + offsetText(off, true, true)
	}
	return s
}

func pad(n, width int) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = "0" + s
	}
	return s
}

// offsetText prints +hh, +hh:mm (withMinutes) or +h (!twoDigits).
func offsetText(off int, twoDigits, withMinutes bool) string {
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	h, m := off/3600, off%3600/60
	hs := strconv.Itoa(h)
	if twoDigits {
		hs = pad(h, 2)
	}
	if withMinutes {
		return sign + hs + ":" + pad(m, 2)
	}
	return sign + hs
}

var (
	monthNames = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	dayNames   = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

// standardDateFormats expands the one-letter .NET standard formats (en-US).
var standardDateFormats = map[string]string{
	"d": "M/d/yyyy",
	"D": "dddd, MMMM d, yyyy",
	"f": "dddd, MMMM d, yyyy h:mm tt",
	"F": "dddd, MMMM d, yyyy h:mm:ss tt",
	"g": "M/d/yyyy h:mm tt",
	"G": "M/d/yyyy h:mm:ss tt",
	"m": "MMMM d",
	"M": "MMMM d",
	"r": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
	"R": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
	"s": "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
	"t": "h:mm tt",
	"T": "h:mm:ss tt",
	"u": "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
	"y": "MMMM yyyy",
	"Y": "MMMM yyyy",
}

// formatNetDate formats d with a .NET date format string in en-US.
func formatNetDate(d netDate, format string, loc *time.Location) (string, bool) {
	switch format {
	case "", "G":
		format = standardDateFormats["G"]
	case "o", "O":
		return d.roundTrip(), true
	case "r", "R", "u":
		d = netDate{t: d.t.Add(-time.Duration(d.offset(loc)) * time.Second).In(time.UTC), kind: dateUTC}
	case "U":
		d = netDate{t: d.t.Add(-time.Duration(d.offset(loc)) * time.Second).In(time.UTC), kind: dateUTC}
		format = standardDateFormats["F"]
	}
	if std, ok := standardDateFormats[format]; ok {
		format = std
	} else if len(format) == 1 {
		return "", false // an unknown standard format throws in .NET
	}
	return customDate(d, format, loc), true
}

func customDate(d netDate, f string, loc *time.Location) string {
	t := d.t
	var b strings.Builder
	for i := 0; i < len(f); {
		c := f[i]
		n := 1
		for i+n < len(f) && f[i+n] == c {
			n++
		}
		switch c {
		case 'd':
			switch n {
			case 1:
				b.WriteString(strconv.Itoa(t.Day()))
			case 2:
				b.WriteString(pad(t.Day(), 2))
			case 3:
				b.WriteString(dayNames[t.Weekday()][:3])
			default:
				b.WriteString(dayNames[t.Weekday()])
			}
		case 'M':
			switch n {
			case 1:
				b.WriteString(strconv.Itoa(int(t.Month())))
			case 2:
				b.WriteString(pad(int(t.Month()), 2))
			case 3:
				b.WriteString(monthNames[t.Month()-1][:3])
			default:
				b.WriteString(monthNames[t.Month()-1])
			}
		case 'y':
			y := t.Year()
			switch n {
			case 1:
				b.WriteString(strconv.Itoa(y % 100))
			case 2:
				b.WriteString(pad(y%100, 2))
			default:
				b.WriteString(pad(y, n))
			}
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b.WriteString(padTo(h, n))
		case 'H':
			b.WriteString(padTo(t.Hour(), n))
		case 'm':
			b.WriteString(padTo(t.Minute(), n))
		case 's':
			b.WriteString(padTo(t.Second(), n))
		case 'f', 'F':
			if n > 7 {
				n = 7
			}
			frac := pad(t.Nanosecond()/100, 7)[:n]
			if c == 'F' {
				frac = strings.TrimRight(frac, "0")
				if frac == "" && i > 0 && f[i-1] == '.' && strings.HasSuffix(b.String(), ".") {
					// .NET drops the separator before an all-zero F field.
					s := b.String()
					b.Reset()
					b.WriteString(s[:len(s)-1])
				}
			}
			b.WriteString(frac)
		case 't':
			ampm := "AM"
			if t.Hour() >= 12 {
				ampm = "PM"
			}
			if n == 1 {
				ampm = ampm[:1]
			}
			b.WriteString(ampm)
		case 'z':
			off := d.offset(loc)
			switch n {
			case 1:
				b.WriteString(offsetText(off, false, false))
			case 2:
				b.WriteString(offsetText(off, true, false))
			default:
				b.WriteString(offsetText(off, true, true))
			}
		case 'K':
			switch d.kind {
			case dateUTC:
				b.WriteString("Z")
			case dateOffset:
				b.WriteString(offsetText(d.offset(loc), true, true))
			}
			n = 1
		case 'g':
			b.WriteString("A.D.")
		case ':', '/':
			b.WriteString(f[i : i+n])
		case '\'', '"':
			end := strings.IndexByte(f[i+1:], c)
			if end < 0 {
				b.WriteString(f[i+1:])
				return b.String()
			}
			b.WriteString(f[i+1 : i+1+end])
			n = end + 2
		case '\\':
			if i+1 < len(f) {
				b.WriteByte(f[i+1])
			}
			n = 2
		case '%':
			n = 1
		default:
			b.WriteString(f[i : i+n])
		}
		i += n
	}
	return b.String()
}

func padTo(v, n int) string {
	if n >= 2 {
		return pad(v, 2)
	}
	return strconv.Itoa(v)
}
