package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Int64 defines a 64-bit integer flag (sizes in bytes beyond 2 GiB).
func (f *flags) Int64(p *int64, name, meta string, def int64, usage string) {
	*p = def
	f.add(&option{name: name, meta: meta, usage: usage, value: (*int64Value)(p)})
}

type int64Value int64

func (i *int64Value) Set(v string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return errors.New("want a whole number, 0 or more")
	}
	*i = int64Value(n)
	return nil
}
func (i *int64Value) String() string { return fmt.Sprint(int64(*i)) }

// Duration defines a positive duration flag ("90s", "5m").
func (f *flags) Duration(p *time.Duration, name, meta string, def time.Duration, usage string) {
	*p = def
	f.add(&option{name: name, meta: meta, usage: usage, value: (*durationValue)(p)})
}

type durationValue time.Duration

func (d *durationValue) Set(v string) error {
	n, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return errors.New("want a positive duration such as 90s or 5m")
	}
	*d = durationValue(n)
	return nil
}
func (d *durationValue) String() string { return time.Duration(*d).String() }
