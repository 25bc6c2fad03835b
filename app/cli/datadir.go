package cli

import (
	"path/filepath"
	"runtime"
)

// defaultDataDir is where the server keeps its store when --data-dir is not
// given. It is always absolute: a service starts in another working
// directory (System32 on Windows). Interactive runs use a per-user
// directory; services use the system-wide one.
func defaultDataDir(getenv func(string) string, goos string, asService bool) string {
	join := filepath.Join
	if goos == "windows" {
		// filepath.Join would use the host's separator; the result must be
		// a Windows path even when computed (in tests) on another OS.
		join = func(elem ...string) string {
			p := elem[0]
			for _, e := range elem[1:] {
				p += `\` + e
			}
			return p
		}
	}
	home := getenv("HOME")
	switch goos {
	case "windows":
		if asService {
			return join(firstNonEmpty(getenv("ProgramData"), getenv("PROGRAMDATA"), `C:\ProgramData`), "Argonaut")
		}
		if d := firstNonEmpty(getenv("LocalAppData"), getenv("LOCALAPPDATA")); d != "" {
			return join(d, "Argonaut")
		}
		return join(firstNonEmpty(getenv("USERPROFILE"), `C:\ProgramData`), "Argonaut")
	case "darwin":
		if asService || home == "" {
			return "/Library/Application Support/Argonaut"
		}
		return join(home, "Library", "Application Support", "Argonaut")
	default:
		if asService || home == "" {
			return "/var/lib/argonaut"
		}
		if d := getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
			return join(d, "argonaut")
		}
		return join(home, ".local", "share", "argonaut")
	}
}

func hostDataDir(getenv func(string) string, asService bool) string {
	return defaultDataDir(getenv, runtime.GOOS, asService)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
