package views

import (
	"github.com/argonautdeploy/argonaut/assets"
	"strconv"
	"strings"
	"time"
)

func statusText(code int) string { return strconv.Itoa(code) }

// formatTime renders a timestamp for people: date and minute, in UTC so that
// the page is the same for everyone (browsers localise nothing without JS).
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2 Jan 2006 15:04 UTC")
}

func portSuffix(port int) string {
	if port == 0 || port == 22 {
		return ""
	}
	return ":" + strconv.Itoa(port)
}

func joinList(items []string) string { return strings.Join(items, ", ") }

func lower(s string) string { return strings.ToLower(s) }

// assetPath is the content-hashed URL of an embedded asset.
func assetPath(name string) string { return assets.Path(name) }

// FormatTime renders a timestamp for people (see formatTime).
func FormatTime(t time.Time) string { return formatTime(t) }
