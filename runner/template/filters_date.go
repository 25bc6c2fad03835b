package template

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Date and Format filters.

// nowDate: NowDate/NowDateUtc [format]; only with an empty left side. The
// default is the round-trip "O" format: local time without an offset suffix,
// UTC ending in Z.
func nowDate(utc bool) filterFunc {
	return func(c *filterCall) (*string, error) {
		if c.arg != nil || len(c.opts) > 1 {
			return nil, nil
		}
		now := c.e.now()
		d := netDate{kind: dateNaive}
		if utc {
			d.t, d.kind = now.UTC(), dateUTC
		} else {
			l := now.In(c.e.location)
			d.t = time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
		}
		format := "O"
		if len(c.opts) == 1 {
			format = c.opts[0]
		}
		s, ok := formatNetDate(d, format, c.e.location)
		if !ok {
			return nil, nil
		}
		return str(s), nil
	}
}

// addDuration: AddHours n / AddDays n with an invariant number (fractions
// allowed); a naive date stays naive, an explicit offset is kept. Output is
// the round-trip "O" format.
func addDuration(hoursPerUnit float64) filterFunc {
	return func(c *filterCall) (*string, error) {
		if c.arg == nil || len(c.opts) != 1 {
			return nil, nil
		}
		n, err := strconv.ParseFloat(strings.TrimSpace(c.opts[0]), 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) || math.Abs(n*hoursPerUnit) > 24*366*10000 {
			return nil, nil
		}
		d, ok := parseNetDate(*c.arg, c.e.now())
		if !ok {
			return nil, nil
		}
		ms := math.Round(n * hoursPerUnit * 3600 * 1000)
		d.t = d.t.Add(time.Duration(ms) * time.Millisecond)
		return str(d.roundTrip()), nil
	}
}

// formatFilter: Format f (decimal, else date) or Format type f.
func formatFilter(c *filterCall) (*string, error) {
	if c.arg == nil || len(c.opts) == 0 || len(c.opts) > 2 {
		return nil, nil
	}
	loc := c.e.location
	now := c.e.now()
	if len(c.opts) == 1 {
		if n, ok := parseNetDecimal(*c.arg); ok {
			if s, ok := formatNetNumber(n, c.opts[0], false); ok {
				return str(s), nil
			}
			return nil, nil
		}
		if d, ok := parseNetDate(*c.arg, now); ok {
			if s, ok := formatNetDate(d.asOffset(loc), c.opts[0], loc); ok {
				return str(s), nil
			}
		}
		return nil, nil
	}
	format := c.opts[1]
	switch strings.ToLower(c.opts[0]) {
	case "int", "int32":
		v, err := strconv.ParseInt(strings.TrimSpace(*c.arg), 10, 32)
		if err != nil {
			return nil, nil
		}
		n, _ := parseNetDecimal(strconv.FormatInt(v, 10))
		return optional(formatNetNumber(n, format, true))
	case "double":
		f, ok := parseCultureFloat(*c.arg)
		if !ok {
			return nil, nil
		}
		n, ok := numberFromFloat(f)
		if !ok {
			return nil, nil
		}
		if format == "R" || format == "r" || format == "G" || format == "g" || format == "" {
			return str(formatDouble(f)), nil
		}
		return optional(formatNetNumber(n, format, false))
	case "decimal":
		n, ok := parseNetDecimal(*c.arg)
		if !ok {
			return nil, nil
		}
		return optional(formatNetNumber(n, format, false))
	case "date", "datetime":
		d, ok := parseNetDate(*c.arg, now)
		if !ok {
			return nil, nil
		}
		return optional(formatNetDate(d.asDateTime(loc), format, loc))
	case "datetimeoffset":
		d, ok := parseNetDate(*c.arg, now)
		if !ok {
			return nil, nil
		}
		return optional(formatNetDate(d.asOffset(loc), format, loc))
	}
	return nil, nil
}

func optional(s string, ok bool) (*string, error) {
	if !ok {
		return nil, nil
	}
	return &s, nil
}
