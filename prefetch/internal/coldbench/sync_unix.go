//go:build unix

package main

import "syscall"

func syncDisks() { syscall.Sync() }
