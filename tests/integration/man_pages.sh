#!/usr/bin/env bash
# man_pages.sh — cairn(1) documents every subcommand and every option the
# program prints in its --help texts, and cairn.conf(5) every key of the
# configuration parser (nodes/runtime/config.c) and of the schema parser
# (core/query/schema.c), each in its own section.  The man pages must also
# format without warnings.  A control removes one key's entry and one
# command's section from copies of the pages and expects the check to see
# them missing.
# CAIRN_TEST_LABELS: unit
set -euo pipefail
: "${CAIRN_BIN:?CAIRN_BIN must name the cairn program}"
: "${CAIRN_SRC:?CAIRN_SRC must name the source tree}"
man1=$CAIRN_SRC/docs/man/cairn.1
man5=$CAIRN_SRC/docs/man/cairn.conf.5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Roff's escaped hyphen (\-) read as a plain one.
plain() { sed 's/\\-/-/g' "$1"; }

# The text of the sections headed $2, or $2 and more words ("cairn code"
# takes in "cairn code hash"), from the roff file $1.
sections() {
	plain "$1" | awk -v want="$2" '
		/^\.S[SH] / {
			h = $0; sub(/^\.S[SH] /, "", h); gsub(/"/, "", h)
			on = (h == want || index(h, want " ") == 1)
			next
		}
		on { print }'
}

# help CMD...: the --help text of 'cairn CMD...', asked once.
help() {
	local f="$tmp/help.${*// /_}"
	[ -f "$f" ] || "$CAIRN_BIN" "$@" --help >"$f" 2>&1 </dev/null || true
	cat "$f"
}

# commands: "demo", "ca init", "node", "node check", ... from the --help
# texts: the top-level table, then "cairn CMD SUB" in each command's usage
# or, for "cairn CMD <command>", the indented command list.
commands() {
	local top sub h
	top=$("$CAIRN_BIN" --help | awk '/^commands:/ {on=1; next}
		on && /^  [a-z]/ {print $1}')
	for c in $top; do
		echo "$c"
		h=$(help "$c")
		sub=$(grep -oE "cairn $c [a-z][a-z-]*" <<<"$h" |
			awk '{print $3}' || true)
		if grep -q "cairn $c <command>" <<<"$h"; then
			sub="$sub $(awk '/^  [a-z][a-z-]*  +[a-z]/ {print $1}' <<<"$h")"
		fi
		for s in $sub; do echo "$c $s"; done
	done | sort -u
}

# check_cli MAN1: every command has a section (one of its own, or those of
# its subcommands) and every --option of its --help text appears in the
# sections of its top-level command ('cairn schema check --help' prints
# the options of 'schema infer' too).
check_cli() {
	local man=$1 bad=0 c opts o text h
	local -A body=()
	plain "$man" >"$tmp/man1"
	while read -r c; do
		if ! grep -qE "^\.SS \"?cairn $c[\" ]" "$tmp/man1"; then
			echo "cairn(1) has no section for 'cairn $c'"
			bad=1
			continue
		fi
		# shellcheck disable=SC2086
		h=$(help $c)
		opts=$(grep -oE -- '--[a-z][a-z0-9-]*' <<<"$h" | sort -u || true)
		[ -n "${body[${c%% *}]+set}" ] ||
			body[${c%% *}]=$(sections "$man" "cairn ${c%% *}")
		text=${body[${c%% *}]}
		# 'cairn run --help' and 'cairn code --help' print one text.
		case ${c%% *} in
		code) text+=$(sections "$man" "cairn run") ;;
		run) text+=$(sections "$man" "cairn code") ;;
		esac
		for o in $opts; do
			[ "$o" = "--help" ] && continue
			[[ $text == *"$o"* ]] || {
				echo "cairn(1): 'cairn $c' does not document $o"
				bad=1
			}
		done
	done <"$tmp/commands"
	return $bad
}

# Keys of the parsers as "SECTION KEY" lines.
config_keys() {
	grep -oE '(K[NPUI]\(|\{)"[a-z_]+", "[a-z_]+"' \
		"$CAIRN_SRC/nodes/runtime/config.c" |
		sed -E 's/^(K[NPUI]\(|\{)"([a-z_]+)", "([a-z_]+)"/\2 \3/'
	# The [dataset NAME] keys are a list of their own.
	sed -n '/ds_keys\[DK_N\] = {/,/};/p' "$CAIRN_SRC/nodes/runtime/config.c" |
		grep -oE '"[a-z_]+"' | tr -d '"' | sed 's/^/dataset /'
	echo "dataset column."
}
schema_keys() {
	grep -oE 'strcmp\(name, "[a-z_]+"\)' "$CAIRN_SRC/core/query/schema.c" |
		sed -E 's/.*"([a-z_]+)".*/\1/' | sort -u
}

# has_entry TEXT KEY: TEXT has a line ".B KEY" (or ".BI KEY ...").
has_entry() {
	local nl=$'\n' t=$'\n'"$1"$'\n'
	[[ $t == *"$nl.B $2$nl"* || $t == *"$nl.BI $2 "* ]]
}

# check_conf MAN5: each configuration key is a .B entry of its section;
# each schema key one of the SCHEMA FILE part.
check_conf() {
	local man=$1 bad=0 sec key text n=0 head
	local -A body=()
	sed -n '/^\.SH SCHEMA FILE/q; p' "$man" >"$tmp/conf"
	while read -r sec key; do
		n=$((n + 1))
		head="[$sec]"
		[ "$sec" = dataset ] && head="[dataset NAME]"
		[ -n "${body[$sec]+set}" ] || body[$sec]=$(sections "$tmp/conf" "$head")
		has_entry "${body[$sec]}" "$key" || {
			echo "cairn.conf(5): [$sec] does not document $key"
			bad=1
		}
	done < <(config_keys)
	[ "$n" -ge 50 ] || { echo "found only $n configuration keys"; bad=1; }
	text=$(plain "$man" | sed -n '/^\.SH SCHEMA FILE/,/^\.SH [A-RT-Z]/p')
	n=0
	for key in $(schema_keys); do
		n=$((n + 1))
		has_entry "$text" "$key" || {
			echo "cairn.conf(5): SCHEMA FILE does not document $key"
			bad=1
		}
	done
	[ "$n" -ge 9 ] || { echo "found only $n schema keys"; bad=1; }
	return $bad
}

commands >"$tmp/commands"
fail=0
check_cli "$man1" || fail=1
check_conf "$man5" || fail=1
for m in "$man1" "$man5"; do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$m" 2>&1 \
		>/dev/null || true)
	[ -z "$w" ] || { echo "$(basename "$m"): formatting warnings:"; echo "$w"; fail=1; }
done
[ "$fail" -eq 0 ] || { echo "FAIL: the man pages are incomplete" >&2; exit 1; }

# Controls: without heartbeat_ms's entry, or the 'ca revoke' section, the
# checks must fail and name what is missing.
sed '/^\.B heartbeat_ms$/d' "$man5" >"$tmp/c.5"
if out=$(check_conf "$tmp/c.5"); then
	echo "FAIL: control: a missing key went unnoticed" >&2
	exit 1
fi
grep -q 'does not document heartbeat_ms' <<<"$out" || {
	echo "FAIL: control: wrong complaint: $out" >&2
	exit 1
}
sed 's/^\.SS "cairn ca revoke"$/.SS "cairn ca revokes"/' "$man1" >"$tmp/c.1"
if out=$(check_cli "$tmp/c.1"); then
	echo "FAIL: control: a missing command went unnoticed" >&2
	exit 1
fi
grep -q "no section for 'cairn ca revoke'" <<<"$out" || {
	echo "FAIL: control: wrong complaint: $out" >&2
	exit 1
}
echo "ok: cairn(1) covers $(wc -l <"$tmp/commands") commands, cairn.conf(5) $(config_keys | wc -l) configuration and $(schema_keys | wc -l) schema keys"
