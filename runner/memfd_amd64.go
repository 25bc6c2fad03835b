//go:build linux

package runner

const sysMemfdCreate = 319
