// Package archive reads and extracts package archives safely.
//
// The same entry walker serves two callers: the server, which calls
// [Validate] on every pushed package and refuses a bad one, and deployment
// targets, which call [Extract] to unpack a package into a work directory.
// Both apply the same rules, so a package the server accepted is one a target
// can extract.
//
// # Formats
//
// Zip (.zip, and .nupkg, .jar, .war read as zip), .tar, .tar.gz/.tgz,
// .tar.bz2/.tbz2 and .tar.zst/.tzst. [DetectFormat] picks the format from the
// file name; Validate and Extract then check the magic bytes where the format
// has them. Nested archives are never opened: a .zip inside a .tar is a file.
//
// # Rules
//
// An archive is refused, with an [*EntryError] naming the offending entry,
// when any entry:
//
//   - has an empty name, a NUL byte, a name longer than Limits.MaxNameLength
//     bytes or deeper than Limits.MaxPathDepth components;
//   - is absolute (/x, \x, C:\x, C:x, //host/share) or has a ".." component
//     (../x, a/../../x, a\..\..\x); backslashes count as separators because
//     packages are extracted on Windows targets too;
//   - is a device, FIFO, socket or other non-regular entry;
//   - is a symbolic link whose target is absolute or, resolved through the
//     archive's other links, leads outside the root; or a hard link to
//     anything but an earlier regular file of the archive;
//   - repeats the name of an earlier entry (two directory entries for the same
//     name are tolerated), or sits below an entry that is a file or a link
//     (so nothing is ever written through a link);
//   - carries set-uid, set-gid or sticky bits: Validate refuses them (a
//     package has no business asking for them), Extract strips them and
//     counts them in Summary.StrippedModes;
//   - is encrypted or uses an unknown compression method, or its data is
//     corrupt or truncated (the CRC of zip entries is checked);
//   - pushes the archive over Limits: more than MaxEntries entries, more than
//     MaxBytes uncompressed bytes, or more than MaxRatio uncompressed bytes per
//     compressed byte read. Sizes are counted on the bytes actually
//     decompressed, never taken from headers, so a header that lies about its
//     size cannot get past a limit; a declared size over the limit is refused
//     early.
//
// Zip archives are also refused when the data of two entries overlap (the
// "overlapping zip bomb") and their central directory is checked against
// MaxEntries before archive/zip builds its file list.
//
// # Extraction
//
// Extract writes only through an [os.Root] opened on destDir, creates files
// exclusively (it never overwrites; extract into a fresh directory), and
// creates symbolic links last, after every link target has been checked, so
// no entry is ever written through a link. Permission bits come from the
// archive with set-uid, set-gid, sticky and group/world write removed (see
// CVE-2021-26557: a writable install directory is an escalation path); the
// owner can always read and write what was extracted. Modification times and
// owners are not restored.
//
// Errors that are the archive's fault are [*EntryError] values (map them to
// HTTP 400); errors reading the source, writing destDir or a cancelled
// context are returned as they are.
package archive
