#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The shipped alerting rules (scripts/dropscope-alerts.yml): promtool checks them, then runs
# them over the input series in tests/fixtures/alerts/, where each alert has a case that must
# fire, with its labels and text, and one that must not. The series also check the rules'
# thresholds against the README's: probes lost on this server at all, 2% lost in the network.
. "$(dirname "$0")/../lib.sh"
command -v promtool >/dev/null || t_skip_all "promtool (Debian package prometheus) is missing"
RULES=$T_TOP/scripts/dropscope-alerts.yml
TESTS=$T_TOP/tests/fixtures/alerts/dropscope-alerts.test.yml

promtool check rules "$RULES" >"$T_TMP/check" 2>&1
t_is "$?" 0 "promtool check rules passes" || t_diag "$(cat "$T_TMP/check")"
t_check "four rules" grep -q "SUCCESS: 4 rules found" "$T_TMP/check"
for a in DropscopeLossOnServer DropscopeLossInNetwork DropscopeEventsLost DropscopeTracerNotAttached; do
	t_check "$a is defined" grep -q "alert: $a\$" "$RULES"
	t_check "$a is tested" grep -q "alertname: $a\$" "$TESTS"
done
promtool test rules "$TESTS" >"$T_TMP/test" 2>&1
t_is "$?" 0 "promtool test rules: every case as expected" || t_diag "$(cat "$T_TMP/test")"

# The rules are no weaker than they look: the network rule with its line at 6% misses t1's 5%.
sed 's/> 0.02$/> 0.06/' "$RULES" >"$T_TMP/weak.yml"
t_is "$(grep -c "> 0.06$" "$T_TMP/weak.yml")" 1 "the copy has its line at 6%"
sed "s|../../../scripts/dropscope-alerts.yml|$T_TMP/weak.yml|" "$TESTS" >"$T_TMP/weak.test.yml"
promtool test rules "$T_TMP/weak.test.yml" >"$T_TMP/weak.out" 2>&1
t_is "$?" 1 "a rule with the line at 6% fails"
t_check "on the 5% case" grep -q "alertname: DropscopeLossInNetwork, time: 15m" "$T_TMP/weak.out"
t_done
