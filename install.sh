#!/bin/sh
# install.sh — build gofast from this checkout and install it.
#
#   ./install.sh                 build into $(go env GOPATH)/bin
#   ./install.sh --prefix DIR    build into DIR
#   ./install.sh --alias         also add `alias go=gofast` to your shell rc (bash, zsh, fish)
#   ./install.sh --uninstall     remove the binary and the alias lines
#
# Needs only a Go toolchain. Safe to run again: the alias is added once.
set -eu

prefix=""
alias_go=0
uninstall=0
while [ $# -gt 0 ]; do
	case "$1" in
	--prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 2; }; prefix=$2; shift 2 ;;
	--prefix=*) prefix=${1#--prefix=}; shift ;;
	--alias) alias_go=1; shift ;;
	--uninstall) uninstall=1; shift ;;
	-h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
done

here=$(cd "$(dirname "$0")" && pwd)
# Use the real go even when gofast is already installed as "go" (the alias
# does not apply to scripts; a gofast symlink named go passes through).
gotool=${GOFAST_GO:-go}
command -v "$gotool" >/dev/null 2>&1 || { echo "install.sh: no go toolchain on PATH; install Go first" >&2; exit 1; }
if [ -z "$prefix" ]; then
	prefix="$("$gotool" env GOPATH | cut -d: -f1)/bin"
fi
exe=""
case "$("$gotool" env GOOS)" in windows) exe=".exe" ;; esac
bin="$prefix/gofast$exe"
# gofast is a lean launcher: commands that never fetch go straight to go;
# the rest run in gofast-core, installed beside it.
core="$prefix/gofast-core$exe"
marker="# added by gofast install.sh"

rc_files() {
	printf '%s\n' "$HOME/.bashrc" "$HOME/.zshrc" "${XDG_CONFIG_HOME:-$HOME/.config}/fish/config.fish"
}

if [ "$uninstall" = 1 ]; then
	rm -f "$bin" "$core" && echo "removed $bin and $core"
	for rc in $(rc_files); do
		if [ -f "$rc" ] && grep -qF "$marker" "$rc"; then
			tmp="$rc.gofast.$$"
			grep -vF "$marker" "$rc" > "$tmp" || true
			cat "$tmp" > "$rc" && rm -f "$tmp"
			echo "removed the go alias from $rc"
		fi
	done
	exit 0
fi

version=$(git -C "$here" describe --tags --always --dirty 2>/dev/null || echo devel)
mkdir -p "$prefix"
echo "building gofast $version into $bin"
(cd "$here" && "$gotool" build -trimpath -buildvcs=false -ldflags "-X main.version=$version" -o "$core" . &&
	"$gotool" build -trimpath -buildvcs=false -o "$bin" ./cmd/gofast-front)

# Verify it runs and that it reaches the real go tool.
"$bin" self version >/dev/null || { echo "install.sh: $bin does not run" >&2; exit 1; }
want=$("$gotool" version)
got=$(GOFAST_GO="$(command -v "$gotool")" "$bin" version)
[ "$got" = "$want" ] || { echo "install.sh: gofast version printed '$got', want '$want'" >&2; exit 1; }
echo "ok: $("$bin" self version), in front of $want"

if [ "$alias_go" = 1 ]; then
	for rc in $(rc_files); do
		case "$rc" in
		*.bashrc) shell=bash ;;
		*.zshrc) shell=zsh ;;
		*) shell=fish ;;
		esac
		# Only shells the user has: an existing rc file, or the login shell.
		if [ ! -f "$rc" ] && [ "$(basename "${SHELL:-}")" != "$shell" ]; then continue; fi
		if [ -f "$rc" ] && grep -qF "$marker" "$rc"; then
			echo "$rc already has the go alias"
			continue
		fi
		mkdir -p "$(dirname "$rc")"
		if [ "$shell" = fish ]; then
			echo "alias go '$bin' $marker" >> "$rc"
		else
			echo "alias go='$bin' $marker" >> "$rc"
		fi
		echo "added alias go=gofast to $rc (open a new shell to use it)"
	done
fi

case ":$PATH:" in
*":$prefix:"*) ;;
*) echo "note: $prefix is not on PATH; add it, or run $bin directly" ;;
esac
