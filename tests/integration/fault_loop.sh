#!/usr/bin/env bash
# fault_loop.sh — answers stay honest under a fault loop (issue 12: 11% of
# answers under kill -9 / SIGSTOP / coordinator restarts covered 4 of 5
# nodes without saying so).  A 5-node federation; for FAULT_S seconds
# (default 100) a loop of queries runs while a chaos loop, in turn, kills a
# node with SIGKILL and restarts it, stops a node (SIGSTOP) for a while and
# continues it, and restarts the coordinator.  For every answer:
# contributed + dropped + refused + absent is node1..node5, each exactly
# once, and the released sum and row count are the plain ones over the
# nodes listed as contributed (computed here from the CSVs).  A failed
# query must say why on one line and must not hang.  Counts are printed:
# queries, answers (full/partial), failures by reason.
# CAIRN_TEST_TIMEOUT: 180
set -euo pipefail
FED_T=175
. "$(dirname "$0")/lib_fed.sh"

DUR=${FAULT_S:-100}
FED_DEADLINE_MS=1500
FED_QUERY_MS=20000
fed_init 5
fed_start_coord
for i in 1 2 3 4 5; do fed_start_node "$i"; done
fed_wait_nodes 5
R=$FED/fault
mkdir -p "$R"

# The query loop: a background subshell; each query's exit status, stdout
# and stderr go to $R/q<k>.{rc,out,err}.  It stops when $R/stop exists.
(
	k=0
	while [ ! -e "$R/stop" ]; do
		k=$((k + 1))
		rc=0
		timeout 60 "$CAIRN_BIN" query --config "$FED/alice.conf" \
		    --format json --dataset t --sum value \
		    >"$R/q$k.out" 2>"$R/q$k.err" || rc=$?
		echo "$rc" >"$R/q$k.rc"
		[ "$rc" = 0 ] || sleep 0.2
	done
) &
qloop=$!

child() { pgrep -P "$1" || true; }
node_pid() { eval "echo \$FED_NODE_PID_$1"; }

# The chaos loop, in this shell (it owns the daemons it restarts).
t_end=$(($(date +%s) + DUR))
step=0
kills=0 stops=0 coords=0
while [ "$(date +%s)" -lt "$t_end" ]; do
	step=$((step + 1))
	i=$((RANDOM % 5 + 1))
	case $((step % 3)) in
	1)
		fed_log "kill -9 node$i"
		p=$(node_pid "$i")
		c=$(child "$p")
		[ -n "$c" ] && kill -KILL "$c"
		fed_wait_exit "$p"
		sleep $((RANDOM % 3 + 1))
		fed_start_node "$i"
		kills=$((kills + 1))
		;;
	2)
		fed_log "SIGSTOP node$i"
		c=$(child "$(node_pid "$i")")
		[ -n "$c" ] && kill -STOP "$c"
		sleep $((RANDOM % 6 + 4))
		[ -n "$c" ] && kill -CONT "$c"
		stops=$((stops + 1))
		;;
	0)
		fed_log "restart the coordinator"
		if [ $((RANDOM % 2)) = 0 ]; then sig=TERM; else sig=KILL; fi
		c=$(child "$FED_COORD_PID")
		[ -n "$c" ] && kill -"$sig" "$c"
		fed_wait_exit "$FED_COORD_PID"
		sleep 1
		fed_start_coord
		coords=$((coords + 1))
		;;
	esac
	sleep $((RANDOM % 4 + 2))
done
touch "$R/stop"
fed_log "chaos over (${SECONDS} s)"
timeout 90 tail --pid="$qloop" -f /dev/null || fed_fail "query loop hangs"
wait "$qloop" || true

names() { echo "$1" | fed_json_list "$2" | tr ',' ' '; }
# Each node's plain sum and row count, from its CSV.
declare -a SUM ROWS
for i in 1 2 3 4 5; do
	SUM[i]=$(fed_sum "$i")
	ROWS[i]=$(fed_rows "$i")
done
queries=0 answers=0 full=0 partial=0 failed=0
: >"$R/reasons"
# Parsed with bash's own regular expressions: no process per answer.
re_nodes='"contributed": \[([^]]*)\].*"dropped": \[([^]]*)\].*"refused": \[([^]]*)\].*"absent": \[([^]]*)\]'
re_rows='"rows": \[\[([^]]*)\]\]'
fed_log "checking the answers (${SECONDS} s)"
for rcf in "$R"/q*.rc; do
	q=${rcf%.rc}
	queries=$((queries + 1))
	rc=$(<"$rcf")
	out=$(<"$q.out")
	if [ "$rc" != 0 ]; then
		failed=$((failed + 1))
		[ "$rc" != 124 ] && [ "$rc" != 137 ] ||
		    fed_fail "$(basename "$q") hung (timeout(1) ended it)"
		[ -s "$q.err" ] || fed_fail "$(basename "$q") failed silently"
		[ "$(wc -l <"$q.err")" = 1 ] ||
		    fed_fail "$(basename "$q"): error is not one line: $(cat "$q.err")"
		cat "$q.err" >>"$R/reasons"
		continue
	fi
	answers=$((answers + 1))
	[[ $out =~ $re_nodes ]] || fed_fail "$(basename "$q"): no node lists: $out"
	c=${BASH_REMATCH[1]//[\" ]/}
	all="$c,${BASH_REMATCH[2]},${BASH_REMATCH[3]},${BASH_REMATCH[4]}"
	all=${all//[\" ]/}
	declare -A seen=()
	k=0
	for name in ${all//,/ }; do
		seen[$name]=$((${seen[$name]:-0} + 1))
		k=$((k + 1))
	done
	for i in 1 2 3 4 5; do
		[ "${seen[node$i]:-0}" = 1 ] || k=99
	done
	[ "$k" = 5 ] ||
	    fed_fail "$(basename "$q") does not account for each node once: $out"
	unset seen
	rows=0 sum=0 m=0
	for name in ${c//,/ }; do
		i=${name#node}
		rows=$((rows + ROWS[i]))
		sum=$((sum + SUM[i]))
		m=$((m + 1))
	done
	[[ $out =~ $re_rows ]] || fed_fail "$(basename "$q"): no rows: $out"
	[ "${BASH_REMATCH[1]}" = "$rows, $rows, $sum" ] ||
	    fed_fail "$(basename "$q") over {$c}: got '${BASH_REMATCH[1]}', want '$rows, $rows, $sum'"
	if [ "$m" = 5 ]; then
		full=$((full + 1))
	else
		partial=$((partial + 1))
	fi
done
echo "chaos: $kills kill -9, $stops SIGSTOP, $coords coordinator restarts in ${DUR} s"
echo "queries $queries, answers $answers (full $full, partial $partial), failed $failed"
# Reasons without the numbers and names that vary.
sed -e 's/node[0-9]/nodeN/g' -e 's/[0-9][0-9]*/N/g' "$R/reasons" | sort | uniq -c | sort -rn | sed 's/^/  failed: /'
[ "$answers" -ge 10 ] || fed_fail "only $answers answers in $DUR s"

# Everything back: the next answer covers all five nodes.
for i in 1 2 3 4 5; do
	c=$(child "$(node_pid "$i")")
	[ -n "$c" ] && kill -CONT "$c" 2>/dev/null || true
done
fed_wait_nodes 5
for ((k = 0; k < 10; k++)); do
	out=$(fed_query --format json --dataset t --sum value 2>&1) &&
	    [ "$(names "$out" contributed)" = "node1 node2 node3 node4 node5" ] &&
	    break
	sleep 1
done
[ "$k" -lt 10 ] || fed_fail "no full answer after the chaos: $out"
fed_finish
echo "fault_loop: ok (${SECONDS} s)"
