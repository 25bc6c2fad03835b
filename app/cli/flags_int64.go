package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
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
