package app

import "strings"

// Filter selects members of a space-scoped collection the way Octopus list
// endpoints do: by IDs, exact name, partial name, then a page of them.
type Filter struct {
	SpaceID     string
	IDs         []string // any of these (case-insensitive); empty = all
	Name        string   // exact, case-insensitive
	PartialName string   // substring, case-insensitive
	Skip        int
	Take        int // 0 = no limit
}

// Matches reports whether a record with id and name passes the ID and name parts of f.
func (f Filter) Matches(id, name string) bool {
	if len(f.IDs) > 0 {
		ok := false
		for _, want := range f.IDs {
			if strings.EqualFold(want, id) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if f.Name != "" && !strings.EqualFold(f.Name, name) {
		return false
	}
	if f.PartialName != "" && !strings.Contains(strings.ToLower(name), strings.ToLower(f.PartialName)) {
		return false
	}
	return true
}

// Page applies Skip and Take to items and returns the page and the total before paging.
func Page[T any](items []T, skip, take int) ([]T, int) {
	total := len(items)
	if skip < 0 {
		skip = 0
	}
	if skip > total {
		skip = total
	}
	items = items[skip:]
	if take > 0 && take < len(items) {
		items = items[:take]
	}
	return items, total
}
